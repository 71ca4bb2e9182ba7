//! How engine events look on a terminal and as JSON lines. Pure functions of the event.
//!
//! The JSON form is the automation interface: one object per line, always with a `type`
//! field; the README documents every type. Conversations are strings: `#room` or `@user`.
use lanchat_client::{Event, TransferKey};
use lanchat_net::protocol::{
    ChangeKind, ChatMessage, ConvSummary, MemberInfo, MembershipChange, MessageKind,
    PresenceStatus, Reaction, Role, RoomInfo, Settings, UserInfo,
};
use lanchat_ui_model::format;
use serde_json::{json, Value};

/// Local wall-clock time of a message, `HH:MM`.
pub fn clock(ts_ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ts_ms) {
        chrono::LocalResult::Single(t) => t.format("%H:%M").to_string(),
        _ => "--:--".to_string(),
    }
}

fn status(s: PresenceStatus) -> &'static str {
    match s {
        PresenceStatus::Online => "online",
        PresenceStatus::Away => "away",
        PresenceStatus::Offline => "offline",
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Member => "member",
        Role::Admin => "admin",
        Role::Owner => "owner",
    }
}

fn key_json(key: &TransferKey) -> Value {
    match key {
        TransferKey::Offer(id) => json!({"offer": id}),
        TransferKey::Share(id) => json!({"share": id.to_string()}),
        TransferKey::Download(id) => json!({"file": id}),
    }
}

fn offer_json(o: &lanchat_net::protocol::FileOffer) -> Value {
    let files: Vec<Value> = o
        .files
        .iter()
        .map(|f| json!({"path": f.display_path(), "size": f.size}))
        .collect();
    json!({"id": o.id, "from": o.from, "to": o.to, "name": o.label(), "size": o.size, "files": files})
}

/// A one-line progress bar: `[#######-------]  45%  12.0 MiB/s  0:07 left`.
pub fn progress_bar(done: u64, total: u64, rate: u64, eta_ms: Option<u64>) -> String {
    const WIDTH: u64 = 24;
    let done = done.min(total);
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let eta = eta_ms.map_or_else(
        || "--:--".to_string(),
        |ms| format!("{}:{:02}", ms / 60_000, ms / 1000 % 60),
    );
    format!(
        "[{}{}] {pct:>3}%  {}/s  {eta} left",
        "#".repeat(filled as usize),
        "-".repeat((WIDTH - filled) as usize),
        format::size(rate)
    )
}

fn reactions_json(reactions: &[Reaction]) -> Value {
    json!(reactions
        .iter()
        .map(|r| json!({"emoji": r.emoji, "count": r.count}))
        .collect::<Vec<_>>())
}

fn message_json(m: &ChatMessage) -> Value {
    json!({
        "conv": m.conv.to_string(),
        "seq": m.seq,
        "id": m.id.to_string(),
        "sender": m.sender,
        "display": m.sender_display,
        "ts_ms": m.ts_ms,
        "kind": match m.kind {
            MessageKind::Text => "text",
            MessageKind::System => "system",
            MessageKind::File => "file",
            MessageKind::Change => "change",
        },
        "text": m.text,
        "file": m.file.as_ref().map(|f| json!({
            "id": f.id, "name": f.name, "size": f.size, "hash": hex::encode(f.hash),
            "uploader": f.uploader,
        })),
        "edited": m.edited,
        "deleted": m.deleted,
        "reply_to": m.reply_to.as_ref().map(|q| json!({
            "seq": q.seq, "sender": q.sender, "text": q.text, "deleted": q.deleted,
        })),
        "reactions": reactions_json(&m.reactions),
        "mentions": m.mentions,
        "mentions_room": m.mentions_room,
    })
}

/// The JSON object for a change entry: `edited`, `deleted` or `reaction`, about message
/// `seq` (the change's own entry is `entry`).
fn change_json(m: &ChatMessage, backlog: bool) -> Value {
    let Some(change) = &m.change else {
        return tagged("message", message_json(m));
    };
    let mut v = json!({
        "conv": m.conv.to_string(),
        "seq": change.target,
        "entry": m.seq,
        "by": m.sender,
        "ts_ms": m.ts_ms,
        "backlog": backlog,
    });
    match &change.what {
        ChangeKind::Edited => {
            v["type"] = json!("edited");
            v["text"] = json!(m.text);
            v["mentions"] = json!(m.mentions);
            v["mentions_room"] = json!(m.mentions_room);
        }
        ChangeKind::Deleted => v["type"] = json!("deleted"),
        ChangeKind::Reacted { emoji, added } => {
            v["type"] = json!("reaction");
            v["emoji"] = json!(emoji);
            v["added"] = json!(added);
            v["reactions"] = reactions_json(&m.reactions);
        }
    }
    v
}

fn settings_json(s: &Settings) -> Value {
    json!({"typing": s.typing, "receipts": s.receipts})
}

fn summary_json(s: &ConvSummary) -> Value {
    json!({
        "conv": s.conv.to_string(),
        "topic": s.topic,
        "last_seq": s.last_seq,
        "read_seq": s.read_seq,
        "unread": s.unread,
        "mentions": s.mentions,
        "muted": s.muted,
        "role": role(s.role),
        "private": s.private,
        "archived": s.archived,
        "peer_read": s.peer_read,
    })
}

fn user_json(u: &UserInfo) -> Value {
    json!({"user": u.username, "display": u.display, "status": status(u.status)})
}

fn room_json(r: &RoomInfo) -> Value {
    json!({"name": format!("#{}", r.name), "topic": r.topic, "members": r.members,
           "private": r.private, "archived": r.archived})
}

fn member_json(m: &MemberInfo) -> Value {
    json!({"user": m.username, "display": m.display, "role": role(m.role), "status": status(m.status)})
}

fn membership_json(change: &MembershipChange) -> (&'static str, Option<&str>) {
    match change {
        MembershipChange::Joined => ("joined", None),
        MembershipChange::Left => ("left", None),
        MembershipChange::Kicked { by } => ("kicked", Some(by)),
        MembershipChange::Promoted { by } => ("promoted", Some(by)),
        MembershipChange::Owner => ("owner", None),
        MembershipChange::Banned { by } => ("banned", Some(by)),
    }
}

/// `value` (an object) with its event `type`.
fn tagged(ty: &str, mut value: Value) -> Value {
    value["type"] = json!(ty);
    value
}

/// The JSON object for an event.
pub fn event_json(event: &Event) -> Value {
    match event {
        Event::Discovering => json!({"type": "discovering"}),
        Event::CoordinatorFound {
            name,
            addr,
            fingerprint,
            first_use,
        } => json!({
            "type": "coordinator", "name": name, "addr": addr.to_string(),
            "fingerprint": fingerprint.short(), "first_use": first_use,
        }),
        Event::FingerprintChanged {
            name,
            pinned,
            offered,
        } => json!({
            "type": "fingerprint_changed", "name": name, "pinned": pinned,
            "offered": offered.short(),
        }),
        Event::CoordinatorUnknown {
            name,
            addr,
            fingerprint,
        } => json!({
            "type": "coordinator_unknown", "name": name, "addr": addr.to_string(),
            "fingerprint": fingerprint.short(),
        }),
        Event::CoordinatorRolledOver { name, old, new } => json!({
            "type": "coordinator_rolled_over", "name": name, "old": old.short(),
            "new": new.short(),
        }),
        Event::Connected { name, addr } => {
            json!({"type": "connected", "name": name, "addr": addr.to_string()})
        }
        Event::LoggedIn {
            user,
            settings,
            conversations,
            resumed,
        } => json!({
            "type": "ready", "user": user.username, "display": user.display,
            "resumed": resumed, "settings": settings_json(settings),
            "conversations": conversations.iter().map(summary_json).collect::<Vec<_>>(),
        }),
        Event::Message { message, backlog } => {
            let mut v = tagged("message", message_json(message));
            v["backlog"] = json!(backlog);
            v
        }
        Event::Changed { message, backlog } => change_json(message, *backlog),
        Event::Sent { conv, id, seq } => {
            json!({"type": "ack", "conv": conv.to_string(), "id": id.to_string(), "seq": seq})
        }
        Event::History { conv, messages } => json!({
            "type": "history", "conv": conv.to_string(),
            "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
        }),
        Event::Rooms(rooms) => {
            json!({"type": "rooms", "rooms": rooms.iter().map(room_json).collect::<Vec<_>>()})
        }
        Event::Members { room, members } => json!({
            "type": "members", "room": format!("#{room}"),
            "members": members.iter().map(member_json).collect::<Vec<_>>(),
        }),
        Event::Users(users) => {
            json!({"type": "users", "users": users.iter().map(user_json).collect::<Vec<_>>()})
        }
        Event::SearchResults { query, messages } => json!({
            "type": "search", "query": query,
            "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
        }),
        Event::Summaries(list) => json!({
            "type": "unread",
            "conversations": list.iter().map(summary_json).collect::<Vec<_>>(),
        }),
        Event::Joined(s) => tagged("joined", summary_json(s)),
        Event::Presence(u) => tagged("presence", user_json(u)),
        Event::Membership { room, user, change } => {
            let (change, by) = membership_json(change);
            json!({"type": "membership", "room": format!("#{room}"), "user": user,
                   "change": change, "by": by})
        }
        Event::Topic { room, topic, by } => {
            json!({"type": "topic", "room": format!("#{room}"), "topic": topic, "by": by})
        }
        Event::ConvState(s) => tagged("conv_state", summary_json(s)),
        Event::Invited { room, by } => {
            json!({"type": "invited", "room": format!("#{room}"), "by": by})
        }
        Event::RoomChanged {
            room,
            private,
            archived,
            by,
        } => json!({
            "type": "room_changed", "room": format!("#{room}"), "private": private,
            "archived": archived, "by": by,
        }),
        Event::RoomDeleted { room, by } => {
            json!({"type": "room_deleted", "room": format!("#{room}"), "by": by})
        }
        Event::Typing { conv, user } => {
            json!({"type": "typing", "conv": conv.to_string(), "user": user})
        }
        Event::Seen { conv, user, seq } => {
            json!({"type": "seen", "conv": conv.to_string(), "user": user, "seq": seq})
        }
        Event::Settings(s) => tagged("settings", settings_json(s)),
        Event::FileOffered(o) => tagged("file_offer", offer_json(o)),
        Event::OfferSent(o) => tagged("offer_sent", offer_json(o)),
        Event::OfferAnswered { id, accepted } => {
            json!({"type": "offer_answered", "id": id, "accepted": accepted})
        }
        Event::OfferCancelled { id, by } => json!({"type": "offer_cancelled", "id": id, "by": by}),
        Event::TransferProgress {
            key,
            name,
            done,
            total,
            rate,
            eta_ms,
        } => json!({
            "type": "progress", "transfer": key_json(key), "name": name, "done": done,
            "total": total, "rate": rate, "eta_ms": eta_ms,
        }),
        Event::TransferDone {
            key,
            name,
            path,
            size,
            moved,
            direct,
        } => json!({
            "type": "transfer_done", "transfer": key_json(key), "name": name,
            "path": path.as_ref().map(|p| p.display().to_string()), "size": size,
            "moved": moved, "direct": direct,
        }),
        Event::TransferFailed { key, name, reason } => json!({
            "type": "transfer_failed", "transfer": key_json(key), "name": name, "reason": reason,
        }),
        Event::Done { command } => json!({"type": "done", "command": command}),
        Event::Error {
            code,
            message,
            command,
        } => json!({
            "type": "error", "code": code.map(|c| format!("{c:?}")), "message": message,
            "command": command,
        }),
        Event::Disconnected {
            reason,
            retry_in_ms,
        } => {
            json!({"type": "disconnected", "reason": reason, "retry_in_ms": retry_in_ms})
        }
        Event::LoggedOut => json!({"type": "logged_out"}),
        Event::Stopped => json!({"type": "stopped"}),
    }
}

/// Reactions as `[👍 2, 🎉 1]`, or nothing.
fn reactions_line(reactions: &[Reaction]) -> String {
    if reactions.is_empty() {
        return String::new();
    }
    let each: Vec<String> = reactions
        .iter()
        .map(|r| format!("{} {}", r.emoji, r.count))
        .collect();
    format!("  [{}]", each.join(", "))
}

/// A message as a line: `[HH:MM] (seq) #conv <Display (@user)> text`, the seq being what
/// `/reply`, `/edit`, `/delete` and `/react` take.
fn message_line(m: &ChatMessage) -> String {
    let when = clock(m.ts_ms);
    let who = format::person(&m.sender, &m.sender_display);
    let head = format!("[{when}] ({}) {}", m.seq, m.conv);
    let quote = m.reply_to.as_ref().map_or_else(String::new, |q| {
        if q.deleted {
            format!("(re {}: message deleted) ", q.seq)
        } else {
            format!("(re {} {}: \"{}\") ", q.seq, q.sender, excerpt(&q.text))
        }
    });
    let edited = if m.edited { " (edited)" } else { "" };
    let reactions = reactions_line(&m.reactions);
    if m.deleted {
        return format!("{head} <{who}> (message deleted)");
    }
    match m.kind {
        MessageKind::Text => format!("{head} <{who}> {quote}{}{edited}{reactions}", m.text),
        MessageKind::System => format!("{head} * {}", m.text),
        MessageKind::File => match &m.file {
            Some(f) => format!(
                "{head} <{who}> shared file {}: {} ({}) — /get {}{reactions}",
                f.id,
                f.name,
                format::size(f.size),
                f.id
            ),
            None => format!("{head} <{who}> shared {}", m.text),
        },
        MessageKind::Change => change_line(m),
    }
}

/// The start of a quoted text, on one line.
fn excerpt(text: &str) -> String {
    const SHOWN: usize = 40;
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

/// A change as a line: `* @alice edited (42): new text`.
fn change_line(m: &ChatMessage) -> String {
    let who = format::person(&m.sender, &m.sender_display);
    let Some(change) = &m.change else {
        return String::new();
    };
    let target = change.target;
    let conv = &m.conv;
    match &change.what {
        ChangeKind::Edited => format!("* {conv} {who} edited ({target}): {}", m.text),
        ChangeKind::Deleted => format!("* {conv} {who} deleted message ({target})"),
        ChangeKind::Reacted { emoji, added } => {
            let did = if *added { "reacted" } else { "took back" };
            format!(
                "* {conv} {who} {did} {emoji} on ({target}){}",
                reactions_line(&m.reactions)
            )
        }
    }
}

fn summary_line(s: &ConvSummary) -> String {
    let mut line = format!("  {:<24} {:>4} unread", s.conv.to_string(), s.unread);
    if s.mentions > 0 {
        line.push_str(&format!(", {} mentioning you", s.mentions));
    }
    if s.private {
        line.push_str("  (private)");
    }
    if s.archived {
        line.push_str("  (archived)");
    }
    if s.muted {
        line.push_str("  (muted)");
    }
    line
}

/// Human-readable lines for an event (possibly none).
pub fn event_lines(event: &Event) -> Vec<String> {
    match event {
        Event::Discovering => vec!["* looking for a coordinator on the LAN…".into()],
        Event::CoordinatorFound {
            name,
            addr,
            fingerprint,
            first_use,
        } => {
            let mut lines = vec![format!("* found coordinator '{name}' at {addr}")];
            if *first_use {
                lines.push(format!(
                    "* first contact: pinning its fingerprint {fingerprint} (check it with your admin)"
                ));
            }
            lines
        }
        Event::CoordinatorUnknown {
            name,
            addr,
            fingerprint,
        } => vec![
            format!(
                "* coordinator '{name}' at {addr} is not trusted yet: fingerprint {fingerprint}"
            ),
            "* compare it with the fingerprint your administrator gave you, then type /trust \
             (or start with --fingerprint FINGERPRINT)"
                .into(),
        ],
        Event::CoordinatorRolledOver { name, old, new } => vec![format!(
            "* coordinator '{name}' moved to a new key {new}, handed over by the pinned {old}"
        )],
        Event::FingerprintChanged { .. } | Event::Stopped => vec![],
        Event::Connected { name, .. } => vec![format!("* connected to '{name}'")],
        Event::LoggedIn {
            user,
            conversations,
            resumed,
            ..
        } => {
            if *resumed {
                return vec![format!("* reconnected as {}", user.username)];
            }
            let mut lines = vec![format!(
                "* logged in as {}",
                format::person(&user.username, &user.display)
            )];
            let unread: Vec<&ConvSummary> = conversations.iter().filter(|s| s.unread > 0).collect();
            if !unread.is_empty() {
                lines.push("* unread:".into());
                lines.extend(unread.into_iter().map(summary_line));
            }
            lines
        }
        Event::Message { message, .. } => vec![message_line(message)],
        Event::Changed { message, .. } => vec![change_line(message)],
        Event::Sent { .. } => vec![],
        Event::History { conv, messages } => {
            let mut lines = vec![format!("* history of {conv}:")];
            lines.extend(messages.iter().map(message_line));
            lines
        }
        Event::Rooms(rooms) => {
            let mut lines = vec!["* rooms:".to_string()];
            lines.extend(rooms.iter().map(|r| {
                let marks = match (r.private, r.archived) {
                    (true, true) => "(private, archived) ",
                    (true, false) => "(private) ",
                    (false, true) => "(archived) ",
                    (false, false) => "",
                };
                format!(
                    "  #{:<20} {:>3} members  {marks}{}",
                    r.name, r.members, r.topic
                )
            }));
            lines
        }
        Event::Members { room, members } => {
            let mut lines = vec![format!("* members of #{room}:")];
            lines.extend(members.iter().map(|m| {
                format!(
                    "  {:<32} {:<7} {}",
                    format::person(&m.username, &m.display),
                    role(m.role),
                    status(m.status)
                )
            }));
            lines
        }
        Event::Users(users) => {
            let mut lines = vec!["* people:".to_string()];
            lines.extend(users.iter().map(|u| {
                let who = format::person(&u.username, &u.display);
                format!("  {who:<32} {}", status(u.status))
            }));
            lines
        }
        Event::SearchResults { query, messages } => {
            let mut lines = vec![format!("* {} result(s) for \"{query}\":", messages.len())];
            lines.extend(messages.iter().map(message_line));
            lines
        }
        Event::Summaries(list) => {
            let mut lines = vec!["* unread:".to_string()];
            lines.extend(list.iter().map(summary_line));
            lines
        }
        Event::Joined(s) => {
            let mut line = format!("* now in {}", s.conv);
            if !s.topic.is_empty() {
                line.push_str(&format!(" — {}", s.topic));
            }
            vec![line]
        }
        Event::Presence(u) => vec![format!(
            "* {} is {}",
            format::person(&u.username, &u.display),
            status(u.status)
        )],
        // Membership changes also arrive as system lines in the room's history.
        Event::Membership { .. } | Event::Topic { .. } | Event::ConvState(_) => vec![],
        Event::Invited { room, by } => {
            vec![format!("* {by} invited you to #{room} — /join #{room}")]
        }
        // Also a system line in the room.
        Event::RoomChanged { .. } => vec![],
        Event::RoomDeleted { room, by } => vec![format!(
            "* {by} deleted #{room}: its history and files are gone"
        )],
        Event::Typing { conv, user } => vec![format!("* {user} is typing in {conv}…")],
        Event::Seen { conv, user, seq } => vec![format!("* {user} has seen {conv} up to ({seq})")],
        Event::Settings(s) => vec![format!(
            "* typing indicators {}, read receipts {}",
            if s.typing { "on" } else { "off" },
            if s.receipts { "on" } else { "off" }
        )],
        Event::FileOffered(o) => vec![format!(
            "* {} offers you {} ({}) — /accept {} [DIR] or /deny {}",
            o.from,
            o.label(),
            format::size(o.size),
            o.id,
            o.id
        )],
        Event::OfferSent(o) => vec![format!(
            "* offer {}: {} ({}) to {}; waiting for them to accept",
            o.id,
            o.label(),
            format::size(o.size),
            o.to
        )],
        Event::OfferAnswered { id, accepted: true } => {
            vec![format!("* offer {id} accepted; sending")]
        }
        Event::OfferAnswered {
            id,
            accepted: false,
        } => vec![format!("* offer {id} was denied")],
        Event::OfferCancelled { id, by } => vec![format!("* offer {id} cancelled by {by}")],
        // Shown as a redrawn bar on terminals (see the cli loop), not as lines.
        Event::TransferProgress { .. } => vec![],
        Event::TransferDone {
            key,
            name,
            path,
            size,
            moved,
            direct,
        } => {
            let route = match direct {
                Some(true) => " directly",
                Some(false) => " via the coordinator",
                None => "",
            };
            let resumed = if moved < size {
                format!(", resumed: {} of it sent now", format::size(*moved))
            } else {
                String::new()
            };
            let place = path
                .as_ref()
                .map(|p| format!(" → {}", p.display()))
                .unwrap_or_default();
            vec![format!(
                "* {key}: {name} ({}) transferred{route} and verified{resumed}{place}",
                format::size(*size)
            )]
        }
        Event::TransferFailed { key, name, reason } => {
            vec![format!("! {key}: {name} failed: {reason}")]
        }
        Event::Done { command } => vec![format!("* {command}: ok")],
        Event::Error {
            message, command, ..
        } => vec![match command {
            Some(c) => format!("! {c}: {message}"),
            None => format!("! {message}"),
        }],
        Event::Disconnected {
            reason,
            retry_in_ms,
        } => vec![format!(
            "* disconnected ({reason}); retrying in {:.1} s",
            *retry_in_ms as f64 / 1000.0
        )],
        Event::LoggedOut => vec!["* logged out".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::protocol::{ConvRef, MsgId};

    fn msg() -> ChatMessage {
        ChatMessage {
            id: MsgId([0xab; 16]),
            sender_display: "Alice".into(),
            ..ChatMessage::plain(ConvRef::Room("general".into()), 3, "alice", "hi")
        }
    }

    #[test]
    fn message_json_has_the_documented_fields() {
        let v = event_json(&Event::Message {
            message: msg(),
            backlog: true,
        });
        assert_eq!(v["type"], "message");
        assert_eq!(v["conv"], "#general");
        assert_eq!(v["seq"], 3);
        assert_eq!(v["id"], "ab".repeat(16));
        assert_eq!(v["sender"], "alice");
        assert_eq!(v["kind"], "text");
        assert_eq!(v["backlog"], true);
        let line = serde_json::to_string(&v).unwrap();
        assert!(!line.contains('\n'));
    }

    /// Replies, edits, deletions and reactions, as lines and as JSON.
    #[test]
    fn what_changes_looks_like() {
        use lanchat_net::protocol::{Change, Quote};
        let mut reply = msg();
        reply.reply_to = Some(Box::new(Quote {
            seq: 2,
            sender: "bob".into(),
            text: "lunch?".into(),
            deleted: false,
        }));
        reply.edited = true;
        reply.reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 2,
        }];
        reply.mentions = vec!["bob".into()];
        let event = Event::Message {
            message: reply.clone(),
            backlog: false,
        };
        let line = &event_lines(&event)[0];
        assert!(
            line.ends_with(
                "(3) #general <Alice (@alice)> (re 2 bob: \"lunch?\") hi (edited)  [👍 2]"
            ),
            "{line}"
        );
        let v = event_json(&event);
        assert_eq!(v["reply_to"]["seq"], 2);
        assert_eq!(v["edited"], true);
        assert_eq!(v["reactions"][0]["count"], 2);
        assert_eq!(v["mentions"][0], "bob");
        let change = |what| {
            let mut m = msg();
            m.seq = 9;
            m.kind = MessageKind::Change;
            m.change = Some(Box::new(Change { target: 3, what }));
            m
        };
        let edited = event_json(&Event::Changed {
            message: change(ChangeKind::Edited),
            backlog: true,
        });
        assert_eq!(
            (
                &edited["type"],
                &edited["seq"],
                &edited["entry"],
                &edited["text"],
                &edited["by"],
                &edited["backlog"]
            ),
            (
                &json!("edited"),
                &json!(3),
                &json!(9),
                &json!("hi"),
                &json!("alice"),
                &json!(true)
            )
        );
        let deleted = change(ChangeKind::Deleted);
        assert_eq!(
            event_json(&Event::Changed {
                message: deleted.clone(),
                backlog: false
            })["type"],
            "deleted"
        );
        assert!(change_line(&deleted).ends_with("deleted message (3)"));
        let reacted = event_json(&Event::Changed {
            message: change(ChangeKind::Reacted {
                emoji: "🎉".into(),
                added: false,
            }),
            backlog: false,
        });
        assert_eq!(reacted["type"], "reaction");
        assert_eq!(
            (&reacted["emoji"], &reacted["added"]),
            (&json!("🎉"), &json!(false))
        );
        let mut gone = msg();
        gone.deleted = true;
        assert!(message_line(&gone).ends_with("<Alice (@alice)> (message deleted)"));
    }

    #[test]
    fn human_lines() {
        let lines = event_lines(&Event::Message {
            message: msg(),
            backlog: false,
        });
        assert!(
            lines[0].ends_with("#general <Alice (@alice)> hi"),
            "{lines:?}"
        );
        let err = Event::Error {
            code: None,
            message: "there is no room #x".into(),
            command: Some("join".into()),
        };
        assert_eq!(event_lines(&err), ["! join: there is no room #x"]);
        let dm = ConvRef::Dm("bob".into());
        // The conversation's string form used in JSON (`#room` / `@user`).
        assert_eq!(dm.to_string(), "@bob");
    }

    /// Issue 12: `/nick alice` made bob's lines read `<alice>`. Every name shown carries the
    /// username whenever the display name differs from it.
    #[test]
    fn every_person_shown_carries_the_username() {
        let mut m = msg();
        m.sender = "bob".into();
        m.sender_display = "alice".into();
        let line = &event_lines(&Event::Message {
            message: m.clone(),
            backlog: false,
        })[0];
        assert!(line.ends_with("<alice (@bob)> hi"), "{line}");
        let history = event_lines(&Event::History {
            conv: m.conv.clone(),
            messages: vec![m],
        });
        assert!(history[1].ends_with("<alice (@bob)> hi"), "{history:?}");
        let bob = UserInfo {
            username: "bob".into(),
            display: "Bob Smith".into(),
            status: PresenceStatus::Online,
        };
        assert_eq!(
            event_lines(&Event::Presence(bob.clone())),
            ["* Bob Smith (@bob) is online"]
        );
        let people = event_lines(&Event::Users(vec![bob.clone()]));
        assert!(people[1].contains("Bob Smith (@bob)"), "{people:?}");
        let members = event_lines(&Event::Members {
            room: "dev".into(),
            members: vec![MemberInfo {
                username: "bob".into(),
                display: "Bob Smith".into(),
                role: Role::Admin,
                status: PresenceStatus::Away,
            }],
        });
        assert!(members[1].contains("Bob Smith (@bob)"), "{members:?}");
        let me = event_lines(&Event::LoggedIn {
            settings: Default::default(),
            user: bob,
            conversations: vec![],
            resumed: false,
        });
        assert_eq!(me, ["* logged in as Bob Smith (@bob)"]);
    }
}
