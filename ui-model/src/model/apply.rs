//! Engine events into the model: every rule about what an event changes on screen (unread
//! counts, mentions, presence, kicks, bans, succession, edits and reactions, typing, read
//! receipts, transfers, errors in plain words).
use std::time::Instant;

use lanchat_client::{Event, TransferKey};
use lanchat_net::protocol::{
    ChatMessage, ConvRef, ErrorCode, MemberInfo, MembershipChange, MessageKind, PresenceStatus,
    Role, UserInfo,
};

use super::{
    general, same_user, Conversation, CoordinatorInfo, Down, KeyChange, Model, Phase, Transfer,
    TransferState, Unknown, MAX_UNKNOWN,
};

/// Updates the model with one engine event, now.
pub fn apply(model: &mut Model, event: Event) {
    apply_at(model, event, Instant::now());
}

/// Updates the model with one engine event that came at `now` (what a typing notice is
/// timed from).
pub fn apply_at(model: &mut Model, event: Event, now: Instant) {
    match event {
        Event::CoordinatorUnknown {
            name,
            addr,
            fingerprint,
        } => {
            let known = model.unknown.iter().any(|u| u.fingerprint == fingerprint);
            if !known && model.unknown.len() < MAX_UNKNOWN {
                model.unknown.push(Unknown {
                    name,
                    addr,
                    fingerprint,
                });
            }
            if model.phase == Phase::NotFound {
                model.phase = Phase::Discovering;
            }
        }
        Event::CoordinatorRolledOver { name, old, new } => {
            let text = format!(
                "Coordinator '{name}' moved to a new key ({}), handed over by its old key ({}).",
                new.short(),
                old.short()
            );
            model.notify(text, false);
        }
        Event::Discovering => {
            if model.phase != Phase::NotFound {
                model.phase = Phase::Discovering;
            }
        }
        Event::CoordinatorFound {
            name,
            addr,
            fingerprint,
            first_use,
        } => {
            model.unknown.clear();
            model.coordinator = Some(CoordinatorInfo {
                name,
                addr,
                fingerprint: fingerprint.short(),
                first_use,
            });
            if model.phase != Phase::LoggedIn {
                model.phase = Phase::Found;
            }
        }
        Event::FingerprintChanged {
            name,
            pinned,
            offered,
        } => {
            model.key_changed = Some(KeyChange {
                name: name.clone(),
                pinned: pinned.clone(),
                offered,
            });
            // Logged in, the main window shows the warning and keeps the session's state.
            if model.phase != Phase::LoggedIn {
                model.phase = Phase::FingerprintChanged {
                    name,
                    pinned,
                    offered,
                }
            }
        }
        Event::Connected { .. } => reconnected(model),
        Event::LoggedIn {
            user,
            settings,
            conversations,
            ..
        } => {
            model.privacy = settings;
            model.phase = Phase::LoggedIn;
            model.login_error = None;
            reconnected(model);
            model
                .people
                .insert(user.username.to_lowercase(), user.clone());
            model.me = Some(user);
            for s in &conversations {
                match model.convs.get_mut(&s.conv) {
                    Some(c) => c.update(s),
                    None => {
                        model
                            .convs
                            .insert(s.conv.clone(), Conversation::from_summary(s));
                    }
                }
            }
            // Rooms left or lost while away disappear (DMs stay: they exist with anyone).
            model.convs.retain(|conv, _| {
                matches!(conv, ConvRef::Dm(_)) || conversations.iter().any(|s| &s.conv == conv)
            });
            if !model.convs.contains_key(&model.current) {
                model.current = general();
            }
            mark_current_read(model);
        }
        Event::Message { message, .. } => add_message(model, message),
        Event::Changed { message, .. } => {
            model
                .convs
                .entry(message.conv.clone())
                .or_default()
                .changed(&message);
            if let Some((_, found)) = &mut model.search {
                for m in found.iter_mut() {
                    if m.conv == message.conv
                        && message.change.as_ref().is_some_and(|c| c.target == m.seq)
                    {
                        m.text = message.text.clone();
                        m.deleted = message.deleted;
                        m.edited = message.edited;
                    }
                }
            }
        }
        Event::Invited { room, by } => {
            model.notify(
                format!("{by} invited you to #{room}: join it from Room → Join room."),
                true,
            );
        }
        Event::RoomChanged {
            room,
            private,
            archived,
            ..
        } => {
            if let Some(c) = model.convs.get_mut(&ConvRef::Room(room.clone())) {
                c.private = private;
                c.archived = archived;
            }
            if let Some(r) = model.directory.iter_mut().find(|r| r.name == room) {
                r.private = private;
                r.archived = archived;
            }
        }
        Event::RoomDeleted { room, by } => {
            lose_room(model, &room);
            model.directory.retain(|r| r.name != room);
            model.notify(
                format!("#{room} was deleted by {by}, with its history and files."),
                true,
            );
        }
        Event::Typing { conv, user } => {
            let c = model.convs.entry(conv).or_default();
            c.typing.retain(|(u, _)| !same_user(u, &user));
            c.typing.push((user, now));
            c.revision += 1;
        }
        Event::Seen { conv, seq, .. } => {
            let c = model.convs.entry(conv).or_default();
            c.peer_read = Some(c.peer_read.unwrap_or(0).max(seq));
            c.revision += 1;
        }
        Event::Settings(settings) => model.privacy = settings,
        Event::Sent { .. } => {}
        Event::History { conv, messages } => {
            let c = model.convs.entry(conv).or_default();
            c.history_asked = false;
            if messages.is_empty() {
                c.history_done = true;
            }
            for m in messages {
                if m.seq == 1 {
                    c.history_done = true;
                }
                c.last_seq = c.last_seq.max(m.seq);
                c.messages.insert(m.seq, m);
            }
        }
        Event::Rooms(rooms) => model.directory = rooms,
        Event::Members { room, members } => {
            for m in &members {
                let known = model.people.entry(m.username.to_lowercase());
                known.or_insert_with(|| UserInfo {
                    username: m.username.clone(),
                    display: m.display.clone(),
                    status: m.status,
                });
            }
            model.members.insert(room, members);
        }
        Event::Users(users) => {
            model.people = users
                .into_iter()
                .map(|u| (u.username.to_lowercase(), u))
                .collect();
        }
        Event::SearchResults { query, messages } => model.search = Some((query, messages)),
        Event::Summaries(summaries) => {
            for s in summaries {
                model.convs.entry(s.conv.clone()).or_default().update(&s);
            }
            mark_current_read(model);
        }
        Event::Joined(s) => {
            let conv = s.conv.clone();
            model.convs.entry(conv.clone()).or_default().update(&s);
            model.current = conv;
            mark_current_read(model);
        }
        Event::Presence(user) => {
            if let Some(me) = &mut model.me {
                if same_user(&me.username, &user.username) {
                    *me = user.clone();
                }
            }
            for members in model.members.values_mut() {
                for m in members.iter_mut() {
                    if same_user(&m.username, &user.username) {
                        m.status = user.status;
                        m.display = user.display.clone();
                    }
                }
            }
            // Everyone is in #general: someone new (just registered) is a member there too.
            if let Some(general) = model.members.get_mut("general") {
                if !general
                    .iter()
                    .any(|m| same_user(&m.username, &user.username))
                {
                    general.push(MemberInfo {
                        username: user.username.clone(),
                        display: user.display.clone(),
                        role: Role::Member,
                        status: user.status,
                    });
                }
            }
            model.people.insert(user.username.to_lowercase(), user);
        }
        Event::Membership { room, user, change } => membership(model, room, user, change),
        Event::Topic { room, topic, .. } => {
            if let Some(c) = model.convs.get_mut(&ConvRef::Room(room.clone())) {
                c.topic = topic.clone();
            }
            if let Some(r) = model.directory.iter_mut().find(|r| r.name == room) {
                r.topic = topic;
            }
        }
        Event::ConvState(s) => {
            model.convs.entry(s.conv.clone()).or_default().update(&s);
        }
        Event::FileOffered(offer) => {
            if model.offers.len() < super::MAX_OFFERS {
                // The direct conversation with the sender shows it (and lists it).
                let conv = ConvRef::Dm(offer.from.clone());
                model.convs.entry(conv).or_default().hidden = false;
                model.offers.push(offer);
            }
        }
        Event::OfferSent(offer) => {
            let key = TransferKey::Offer(offer.id);
            let t = Transfer::new(key, &offer.label(), offer.size, TransferState::Waiting);
            upsert(model, t);
        }
        Event::OfferAnswered { id, accepted } => {
            if let Some(t) = transfer(model, TransferKey::Offer(id)) {
                t.state = if accepted {
                    TransferState::Moving
                } else {
                    TransferState::Failed("denied by the recipient".into())
                };
            }
        }
        Event::OfferCancelled { id, by } => {
            model.answered(id, &format!("cancelled by {by}"));
            if let Some(t) = transfer(model, TransferKey::Offer(id)) {
                t.state = TransferState::Failed(format!("cancelled by {by}"));
            }
        }
        Event::TransferProgress {
            key,
            name,
            done,
            total,
            rate,
            eta_ms,
        } => {
            if transfer(model, key).is_none() {
                upsert(
                    model,
                    Transfer::new(key, &name, total, TransferState::Moving),
                );
            }
            if let Some(t) = transfer(model, key) {
                t.done = done;
                t.total = total;
                t.rate = rate;
                t.eta_ms = eta_ms;
                t.state = TransferState::Moving;
            }
        }
        Event::TransferDone {
            key,
            name,
            path,
            size,
            ..
        } => {
            let mut t = Transfer::new(key, &name, size, TransferState::Verified { path });
            t.done = size;
            upsert(model, t);
        }
        Event::TransferFailed { key, name, reason } => {
            let state = TransferState::Failed(reason);
            match transfer(model, key) {
                Some(t) => t.state = state,
                None => upsert(model, Transfer::new(key, &name, 0, state)),
            }
        }
        Event::Done { .. } => {}
        Event::Error {
            code,
            message,
            command,
        } => {
            let words = plain_words(code, &message);
            // A refused login belongs to the login window, not the main window's status bar.
            match command.as_deref() {
                Some("login" | "register") => model.login_error = Some(words),
                Some("resume") if model.phase != Phase::LoggedIn => {
                    model.login_error = Some(format!(
                        "Your saved sign-in no longer works ({message}); log in again."
                    ))
                }
                _ => {
                    model.notify(words, true);
                }
            }
        }
        Event::Disconnected {
            reason,
            retry_in_ms,
        } => {
            model.connection = Some(Down {
                reason,
                retry_in_ms,
            });
        }
        Event::LoggedOut | Event::Stopped => model.phase = Phase::Stopped,
    }
}

fn add_message(model: &mut Model, message: ChatMessage) {
    let mine = model
        .me
        .as_ref()
        .is_some_and(|me| same_user(&me.username, &message.sender));
    // What the coordinator recognised, not what the text seems to say.
    let mentions_me = model.mentions_me(&message);
    let is_current = message.conv == model.current;
    let c = model.convs.entry(message.conv.clone()).or_default();
    c.hidden = false;
    c.pending.retain(|p| p.id != message.id);
    // Their message ends their typing.
    c.typing.retain(|(u, _)| !same_user(u, &message.sender));
    c.revision += 1;
    // Newer than what the coordinator counted at login: counted here (the catch-up of what
    // it counted is not counted twice).
    let new = message.seq > c.last_seq;
    c.last_seq = c.last_seq.max(message.seq);
    // Own messages and what is on screen are read (the UI also tells the coordinator); the
    // coordinator moved the cursor to one's own message, so all before it is read too.
    if mine {
        c.read_seq = c.read_seq.max(message.seq);
        c.unread_count = 0;
        c.mentions = 0;
    } else if is_current {
        c.read_seq = c.read_seq.max(message.seq);
    } else if new && message.kind != MessageKind::Change && !message.deleted {
        c.unread_count += 1;
        if mentions_me {
            c.mentions += 1;
        }
    }
    c.messages.insert(message.seq, message);
}

/// This user is no longer in `room` (left, removed, banned, or it was deleted).
fn lose_room(model: &mut Model, room: &str) {
    let conv = ConvRef::Room(room.to_string());
    model.convs.remove(&conv);
    model.members.remove(room);
    if model.current == conv {
        model.current = general();
    }
}

fn membership(model: &mut Model, room: String, user: String, change: MembershipChange) {
    let me = model.me.as_ref().map(|u| u.username.clone());
    let is_me = me.as_deref().is_some_and(|me| same_user(me, &user));
    let conv = ConvRef::Room(room.clone());
    match &change {
        MembershipChange::Left
        | MembershipChange::Kicked { .. }
        | MembershipChange::Banned { .. }
            if is_me =>
        {
            lose_room(model, &room);
            match &change {
                MembershipChange::Kicked { by } => {
                    model.notify(format!("You were removed from #{room} by {by}."), true);
                }
                MembershipChange::Banned { by } => {
                    model.notify(
                        format!("You were removed from #{room} by {by} and cannot join it again."),
                        true,
                    );
                }
                _ => {}
            }
            return;
        }
        MembershipChange::Promoted { .. } if is_me => {
            if let Some(c) = model.convs.get_mut(&conv) {
                c.role = Some(Role::Admin);
            }
        }
        MembershipChange::Owner if is_me => {
            if let Some(c) = model.convs.get_mut(&conv) {
                c.role = Some(Role::Owner);
            }
        }
        _ => {}
    }
    let Some(members) = model.members.get_mut(&room) else {
        return;
    };
    match change {
        MembershipChange::Joined => {
            if !members.iter().any(|m| same_user(&m.username, &user)) {
                let known = model.people.get(&user.to_lowercase());
                members.push(MemberInfo {
                    username: user.clone(),
                    display: known.map_or(user.clone(), |u| u.display.clone()),
                    role: Role::Member,
                    status: known.map_or(PresenceStatus::Online, |u| u.status),
                });
            }
        }
        MembershipChange::Left
        | MembershipChange::Kicked { .. }
        | MembershipChange::Banned { .. } => {
            members.retain(|m| !same_user(&m.username, &user));
        }
        MembershipChange::Promoted { .. } | MembershipChange::Owner => {
            let role = if change == MembershipChange::Owner {
                Role::Owner
            } else {
                Role::Admin
            };
            for m in members.iter_mut() {
                if same_user(&m.username, &user) {
                    m.role = role;
                }
            }
        }
    }
}

fn mark_current_read(model: &mut Model) {
    if let Some(c) = model.convs.get_mut(&model.current) {
        c.all_read();
    }
}

/// Connected again: the banner goes and a notice says so (once per disconnection).
fn reconnected(model: &mut Model) {
    if model.connection.take().is_some() {
        model.notify("Reconnected.", false);
    }
}

fn transfer(model: &mut Model, key: TransferKey) -> Option<&mut Transfer> {
    model.transfers.iter_mut().find(|t| t.key == key)
}

fn upsert(model: &mut Model, t: Transfer) {
    match transfer(model, t.key) {
        Some(old) => *old = t,
        None => model.transfers.push(t),
    }
}

/// An engine error as a person would say it.
pub fn plain_words(code: Option<ErrorCode>, message: &str) -> String {
    match code {
        Some(ErrorCode::AuthFailed) => "Wrong username or password.".into(),
        Some(ErrorCode::UsernameTaken) => {
            "That username is taken. Pick another one, or log in if it is yours.".into()
        }
        Some(ErrorCode::WeakPassword) => format!("Password too weak: {message}"),
        Some(ErrorCode::RateLimited) => {
            format!("Too many attempts; wait a minute and try again. ({message})")
        }
        Some(ErrorCode::NoSuchUser) => format!("No such user: {message}"),
        Some(ErrorCode::NoSuchRoom) => format!("No such room: {message}"),
        Some(ErrorCode::PermissionDenied) => format!("Not allowed: {message}"),
        Some(ErrorCode::TooLarge) => format!("Too large: {message}"),
        Some(ErrorCode::Banned) => format!("Banned: {message}"),
        Some(ErrorCode::NoSuchMessage) => format!("No such message: {message}"),
        _ => message.to_string(),
    }
}
