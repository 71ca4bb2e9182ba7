//! Opt-in trace for tests and bug reports: with `LANCHAT_UI_TRACE=1`, one line per model
//! change on stderr (`trace: logged-in alice`, `trace: message #general bob: hi`,
//! `trace: shown #general bob: hi`). Tests wait on these lines instead of sleeping.
use std::sync::OnceLock;

use lanchat_client::Event;
use lanchat_net::protocol::MembershipChange;

/// Is tracing on?
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("LANCHAT_UI_TRACE").is_some_and(|v| v != "0"))
}

/// Prints one trace line when tracing is on.
pub fn line(text: &str) {
    if enabled() {
        // One line per write so concurrent readers never see half a line.
        let line = format!("trace: {}\n", text.replace('\n', " "));
        use std::io::Write;
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

/// The trace line for an engine event.
pub fn describe(event: &Event) -> String {
    match event {
        Event::Discovering => "discovering".into(),
        Event::CoordinatorFound { name, addr, .. } => format!("coordinator {name} {addr}"),
        Event::FingerprintChanged { name, .. } => format!("fingerprint-changed {name}"),
        Event::CoordinatorUnknown { name, .. } => format!("coordinator-unknown {name}"),
        Event::CoordinatorRolledOver { name, .. } => format!("coordinator-rolled-over {name}"),
        Event::Connected { name, .. } => format!("connected {name}"),
        Event::LoggedIn { user, .. } => format!("logged-in {}", user.username),
        Event::Message { message: m, .. } => format!("message {} {}: {}", m.conv, m.sender, m.text),
        Event::Changed { message: m, .. } => {
            let target = m.change.as_ref().map_or(0, |c| c.target);
            format!("changed {} {target} by {}: {}", m.conv, m.sender, m.text)
        }
        Event::Invited { room, by } => format!("invited #{room} by {by}"),
        Event::RoomChanged {
            room,
            private,
            archived,
            ..
        } => format!("room-changed #{room} private {private} archived {archived}"),
        Event::RoomDeleted { room, by } => format!("room-deleted #{room} by {by}"),
        Event::Typing { conv, user } => format!("typing {conv} {user}"),
        Event::Seen { conv, seq, .. } => format!("seen {conv} {seq}"),
        Event::Settings(s) => format!("settings typing {} receipts {}", s.typing, s.receipts),
        Event::Sent { conv, seq, .. } => format!("sent {conv} {seq}"),
        Event::History { conv, messages } => format!("history {conv} {}", messages.len()),
        Event::Rooms(rooms) => format!("rooms {}", rooms.len()),
        Event::Members { room, members } => format!("members #{room} {}", members.len()),
        Event::Users(users) => format!("users {}", users.len()),
        Event::SearchResults { query, messages } => format!("search {query} {}", messages.len()),
        Event::Summaries(s) => format!("summaries {}", s.len()),
        Event::Joined(s) => format!("joined {}", s.conv),
        Event::Presence(u) => format!("presence {} {:?}", u.username, u.status),
        Event::Membership { room, user, change } => {
            let change = match change {
                MembershipChange::Joined => "joined",
                MembershipChange::Left => "left",
                MembershipChange::Kicked { .. } => "kicked",
                MembershipChange::Promoted { .. } => "promoted",
                MembershipChange::Owner => "owner",
                MembershipChange::Banned { .. } => "banned",
            };
            format!("membership #{room} {user} {change}")
        }
        Event::Topic { room, topic, .. } => format!("topic #{room} {topic}"),
        Event::ConvState(s) => format!("conv-state {} unread {}", s.conv, s.unread),
        Event::FileOffered(o) => format!("offered {} {} from {}", o.id, o.label(), o.from),
        Event::OfferSent(o) => format!("offer-sent {} {}", o.id, o.label()),
        Event::OfferAnswered { id, accepted } => format!("offer-answered {id} {accepted}"),
        Event::OfferCancelled { id, by } => format!("offer-cancelled {id} by {by}"),
        Event::TransferProgress {
            key, done, total, ..
        } => format!("progress {key} {done}/{total}"),
        Event::TransferDone { key, name, .. } => format!("transfer-done {key} {name}"),
        Event::TransferFailed { key, reason, .. } => format!("transfer-failed {key} {reason}"),
        Event::Done { command } => format!("done {command}"),
        Event::Error { message, .. } => format!("error {message}"),
        Event::Disconnected { reason, .. } => format!("disconnected {reason}"),
        Event::LoggedOut => "logged-out".into(),
        Event::Stopped => "stopped".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use lanchat_net::protocol::ConvRef;

    #[test]
    fn message_line_names_conversation_sender_and_text() {
        let m = fixtures::text(ConvRef::Room("general".into()), 1, "bob", "hi");
        let e = Event::Message {
            message: m,
            backlog: false,
        };
        assert_eq!(describe(&e), "message #general bob: hi");
        assert_eq!(describe(&Event::LoggedOut), "logged-out");
    }
}
