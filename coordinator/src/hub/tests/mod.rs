//! The hub's rules, driven in memory: sessions are plain outboxes, the store is SQLite in
//! memory, and the time is the wall clock's (as the drivers pass it).
//!
//! This file holds what the topics share: logged-in test clients, request helpers and what
//! they read back. One module per topic:
//! - `messages`: delivery in order, idempotent resends, size limits, DMs to offline users.
//! - `history`: read cursors, muting, paging, search.
//! - `rooms`: create, join, leave, kick, promote, succession, topics.
//! - `presence`: online/away/offline and display names.
//! - `sessions`: dropping a stalled session, rate limits, connection-only requests.
//! - `files`: file offers and their tokens, upload tickets.
//! - `batches`: group commit, refusals within a batch, a full disk.
mod access;
mod batches;
mod changes;
mod files;
mod history;
mod messages;
mod presence;
mod rooms;
mod sessions;
mod signals;

use super::*;
use crate::clock::now_ms;
use crate::reads::Reads;
use lanchat_net::protocol::{
    ChatMessage, ConvSummary, ErrorInfo, MembershipChange, MessageKind, MsgId, Role, RoomInfo,
    UserInfo, MAX_HISTORY_PAGE, MAX_TEXT_BYTES,
};

use tokio::sync::oneshot::error::TryRecvError;

use crate::outbox::{outbox, OutboxReader};

/// One logged-in connection, seen from the test.
struct Client {
    sid: SessionId,
    rx: OutboxReader,
    alive: oneshot::Receiver<()>,
    user: UserId,
}

fn hub() -> Hub {
    Hub::new(Store::open_in_memory().unwrap())
}

fn user(hub: &mut Hub, name: &str) -> UserId {
    let display = format!("{name} (display)");
    hub.store()
        .create_user(name, &display, "hash", now_ms())
        .unwrap()
        .id
}

/// Opens a session with an outbox of `capacity` frames; returns the client and the login reply.
fn connect_with(hub: &mut Hub, user: UserId, capacity: usize) -> (Client, Reply) {
    let token = rand_token();
    hub.store()
        .create_session(user, blake3::hash(&token).as_bytes(), now_ms())
        .unwrap();
    let (tx, rx) = outbox(capacity);
    let (alive_tx, alive) = oneshot::channel();
    let (sid, reply) = hub
        .open_session(
            user,
            token,
            SessionLink {
                outbox: tx,
                alive: alive_tx,
                remote: "127.0.0.1:1".parse().unwrap(),
            },
        )
        .unwrap();
    (
        Client {
            sid,
            rx,
            alive,
            user,
        },
        reply,
    )
}

/// A session whose login pushes (own presence) are already drained.
fn connect(hub: &mut Hub, user: UserId) -> Client {
    let (mut c, _) = connect_with(hub, user, OUTBOX_CAPACITY);
    drain(&mut c.rx);
    c
}

fn rand_token() -> [u8; 32] {
    let mut t = [0u8; 32];
    t[..16].copy_from_slice(&MsgId::random().0);
    t[16..].copy_from_slice(&MsgId::random().0);
    t
}

/// Everything queued on an outbox, decoded (the hub queues encoded frames).
fn drain(rx: &mut OutboxReader) -> Vec<ServerFrame> {
    let mut out = Vec::new();
    let mut queued = Vec::new();
    rx.try_take(&mut queued);
    for bytes in queued {
        let (frame, used) = lanchat_net::codec::decode_frame::<ServerFrame>(&bytes)
            .unwrap()
            .expect("a whole frame");
        assert_eq!(used, bytes.len(), "one frame per queued buffer");
        out.push(frame);
    }
    out
}

fn events(c: &mut Client) -> Vec<Event> {
    drain(&mut c.rx)
        .into_iter()
        .map(|f| match f {
            ServerFrame::Event(e) => e,
            other => panic!("the hub pushed a non-event frame: {other:?}"),
        })
        .collect()
}

fn messages(c: &mut Client) -> Vec<ChatMessage> {
    events(c)
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn room(name: &str) -> ConvRef {
    ConvRef::Room(name.to_string())
}

fn dm(name: &str) -> ConvRef {
    ConvRef::Dm(name.to_string())
}

fn send(hub: &mut Hub, c: &Client, conv: ConvRef, text: &str) -> Result<Reply, Refusal> {
    send_id(hub, c, conv, MsgId::random(), text)
}

fn send_id(
    hub: &mut Hub,
    c: &Client,
    conv: ConvRef,
    id: MsgId,
    text: &str,
) -> Result<Reply, Refusal> {
    hub.handle(
        c.sid,
        Request::Send {
            conv,
            id,
            text: text.to_string(),
            reply_to: None,
        },
        now_ms(),
    )
}

/// A message from `c`, as a group commit receives it.
fn pending(c: &Client, conv: ConvRef, text: &str) -> PendingSend {
    PendingSend {
        sid: c.sid,
        conv,
        id: MsgId::random(),
        text: text.to_string(),
        reply_to: None,
    }
}

fn sent_seq(reply: Result<Reply, Refusal>) -> u64 {
    match reply {
        Ok(Reply::Sent { seq, .. }) => seq,
        other => panic!("expected Sent, got {other:?}"),
    }
}

fn refused(reply: Result<Reply, Refusal>, code: ErrorCode, says: &str) -> ErrorInfo {
    let e = reply.expect_err("expected a refusal").0;
    assert_eq!(e.code, code, "{e:?}");
    assert!(
        e.message.contains(says),
        "refusal {:?} should say {says:?}",
        e.message
    );
    e
}

fn page(reply: Result<Reply, Refusal>) -> Vec<ChatMessage> {
    match reply {
        Ok(Reply::Messages { messages, .. }) => messages,
        other => panic!("expected Messages, got {other:?}"),
    }
}

fn seqs(messages: &[ChatMessage]) -> Vec<u64> {
    messages.iter().map(|m| m.seq).collect()
}

fn texts(messages: &[ChatMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.text.as_str()).collect()
}

fn after(hub: &mut Hub, c: &Client, conv: ConvRef, after: u64, limit: u32) -> Vec<ChatMessage> {
    page(req(hub, c, Request::After { conv, after, limit }))
}

fn before(hub: &mut Hub, c: &Client, conv: ConvRef, before: u64, limit: u32) -> Vec<ChatMessage> {
    page(req(
        hub,
        c,
        Request::Before {
            conv,
            before,
            limit,
        },
    ))
}

fn summaries(hub: &mut Hub, c: &Client) -> Vec<ConvSummary> {
    match req(hub, c, Request::Summaries) {
        Ok(Reply::Summaries(s)) => s,
        other => panic!("expected Summaries, got {other:?}"),
    }
}

fn summary_of(list: &[ConvSummary], conv: &ConvRef) -> ConvSummary {
    list.iter()
        .find(|s| &s.conv == conv)
        .unwrap_or_else(|| panic!("{conv} missing from {list:?}"))
        .clone()
}

/// A request as the connection gate routes it: reads to the read side (from a snapshot,
/// without the hub), anything else to the hub.
fn req(hub: &mut Hub, c: &Client, request: Request) -> Result<Reply, Refusal> {
    if Reads::is_read(&request) {
        hub.reads().answer(c.user, request)
    } else {
        hub.handle(c.sid, request, now_ms())
    }
}

fn create(hub: &mut Hub, c: &Client, name: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::CreateRoom {
            name: name.to_string(),
            private: false,
            full_history: false,
        },
    )
}

fn join(hub: &mut Hub, c: &Client, name: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::JoinRoom {
            name: name.to_string(),
        },
    )
}

fn leave(hub: &mut Hub, c: &Client, name: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::LeaveRoom {
            name: name.to_string(),
        },
    )
}

fn kick(hub: &mut Hub, c: &Client, name: &str, who: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Kick {
            name: name.to_string(),
            user: who.to_string(),
        },
    )
}

fn promote(hub: &mut Hub, c: &Client, name: &str, who: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Promote {
            name: name.to_string(),
            user: who.to_string(),
        },
    )
}

fn members(hub: &mut Hub, c: &Client, name: &str) -> Vec<(String, Role)> {
    match req(
        hub,
        c,
        Request::Members {
            name: name.to_string(),
            after: 0,
        },
    ) {
        Ok(Reply::Members { members, .. }) => {
            members.into_iter().map(|m| (m.username, m.role)).collect()
        }
        other => panic!("expected Members, got {other:?}"),
    }
}

fn membership(room: &str, user: &str, change: MembershipChange) -> Event {
    Event::Membership {
        room: room.to_string(),
        user: user.to_string(),
        change,
    }
}

fn presence(user: &str, status: PresenceStatus) -> Event {
    Event::Presence(UserInfo {
        username: user.to_string(),
        display: format!("{user} (display)"),
        status,
    })
}

fn system_lines(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) if m.kind == MessageKind::System => Some(m.text.clone()),
            _ => None,
        })
        .collect()
}

fn membership_events(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .filter(|e| matches!(e, Event::Membership { .. }))
        .cloned()
        .collect()
}
