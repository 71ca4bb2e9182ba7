use super::*;
use crate::clock::now_ms;
use lanchat_net::protocol::{
    ChatMessage, ConvSummary, ErrorInfo, MembershipChange, MessageKind, MsgId, Role, RoomInfo,
    MAX_TEXT_BYTES,
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
    Hub::new(Store::open_in_memory().unwrap(), None)
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
    page(hub.handle(c.sid, Request::After { conv, after, limit }, now_ms()))
}

fn before(hub: &mut Hub, c: &Client, conv: ConvRef, before: u64, limit: u32) -> Vec<ChatMessage> {
    page(hub.handle(
        c.sid,
        Request::Before {
            conv,
            before,
            limit,
        },
        now_ms(),
    ))
}

fn summaries(hub: &mut Hub, c: &Client) -> Vec<ConvSummary> {
    match hub.handle(c.sid, Request::Summaries, now_ms()) {
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

fn req(hub: &mut Hub, c: &Client, request: Request) -> Result<Reply, Refusal> {
    hub.handle(c.sid, request, now_ms())
}

fn create(hub: &mut Hub, c: &Client, name: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::CreateRoom {
            name: name.to_string(),
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

#[test]
fn general_reaches_every_online_session_in_order_and_resends_are_idempotent() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let mut a1 = connect(&mut hub, alice);
    let mut a2 = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    drain(&mut a1.rx);
    drain(&mut a2.rx);

    // Everyone is in #general, including carol who has never logged in.
    let rooms = match req(&mut hub, &a1, Request::ListRooms).unwrap() {
        Reply::Rooms(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        rooms,
        vec![RoomInfo {
            name: "general".into(),
            topic: String::new(),
            members: 3
        }]
    );
    let names: Vec<String> = members(&mut hub, &a1, "general")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);

    let first = MsgId::random();
    let reply = send_id(&mut hub, &a1, room("general"), first, "hello").unwrap();
    let Reply::Sent {
        conv,
        id,
        seq,
        ts_ms,
    } = reply
    else {
        panic!("expected Sent, got {reply:?}");
    };
    assert_eq!((conv, id, seq), (room("general"), first, 1));

    for c in [&mut a1, &mut a2, &mut b] {
        let got = events(c);
        assert_eq!(got.len(), 1, "{got:?}");
        let Event::Message(m) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(m.conv, room("general"));
        assert_eq!((m.seq, m.id, m.ts_ms), (1, first, ts_ms));
        assert_eq!(m.sender, "alice");
        assert_eq!(m.sender_display, "alice (display)");
        assert_eq!(m.kind, MessageKind::Text);
        assert_eq!(m.text, "hello");
    }

    assert_eq!(sent_seq(send(&mut hub, &b, room("general"), "two")), 2);
    assert_eq!(sent_seq(send(&mut hub, &a2, room("#General"), "three")), 3);
    for c in [&mut a1, &mut a2, &mut b] {
        let got = messages(c);
        assert_eq!(seqs(&got), [2, 3]);
        assert_eq!(got[0].sender, "bob");
        assert_eq!(got[1].sender, "alice");
    }

    // A resend after a reconnect: same seq and time, nothing new stored or pushed.
    let again = send_id(&mut hub, &a1, room("general"), first, "hello").unwrap();
    assert_eq!(
        again,
        Reply::Sent {
            conv: room("general"),
            id: first,
            seq: 1,
            ts_ms
        }
    );
    for c in [&mut a1, &mut a2, &mut b] {
        assert!(drain(&mut c.rx).is_empty());
    }
    assert_eq!(
        texts(&after(&mut hub, &b, room("general"), 0, 50)),
        ["hello", "two", "three"]
    );

    // The same id from another sender is another message.
    assert_eq!(
        sent_seq(send_id(&mut hub, &b, room("general"), first, "mine")),
        4
    );

    // Carol was offline: she logs in with all four unread.
    let (_c, reply) = connect_with(&mut hub, carol, OUTBOX_CAPACITY);
    let Reply::LoggedIn {
        user,
        conversations,
        ..
    } = reply
    else {
        panic!("{reply:?}");
    };
    assert_eq!(user.username, "carol");
    assert_eq!(user.status, PresenceStatus::Online);
    let general = summary_of(&conversations, &room("general"));
    assert_eq!((general.last_seq, general.read_seq), (4, 0));
    assert_eq!(general.unread(), 4);
    // The senders have read what they wrote.
    let s = summary_of(&summaries(&mut hub, &a1), &room("general"));
    assert_eq!(s.read_seq, 3);
}

#[test]
fn text_must_be_non_empty_and_at_most_16_kib() {
    let mut hub = hub();
    let alice = user(&mut hub, "alice");
    let mut a = connect(&mut hub, alice);

    let at_limit = "x".repeat(MAX_TEXT_BYTES);
    assert_eq!(sent_seq(send(&mut hub, &a, room("general"), &at_limit)), 1);
    let over = "é".repeat(MAX_TEXT_BYTES / 2) + "x";
    let e = refused(
        send(&mut hub, &a, room("general"), &over),
        ErrorCode::TooLarge,
        "16384",
    );
    assert!(e.message.contains("16385"), "{}", e.message);
    refused(
        send(&mut hub, &a, room("general"), ""),
        ErrorCode::BadRequest,
        "empty",
    );
    refused(
        send(&mut hub, &a, room("general"), " \n\t "),
        ErrorCode::BadRequest,
        "empty",
    );
    assert_eq!(seqs(&messages(&mut a)), [1]);
    assert_eq!(seqs(&after(&mut hub, &a, room("general"), 0, 10)), [1]);
}

#[test]
fn rooms_create_list_join_leave() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let mut a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    let mut c = connect(&mut hub, carol);
    drain(&mut a.rx);
    drain(&mut b.rx);

    let created = create(&mut hub, &a, "Dev").unwrap();
    let Reply::Summaries(s) = created else {
        panic!("{created:?}")
    };
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].conv, room("dev"));
    assert_eq!(s[0].role, Role::Owner);
    assert_eq!(s[0].unread(), 0, "the creator has seen the creation line");
    let got = events(&mut a);
    assert_eq!(
        membership_events(&got),
        [membership("dev", "alice", MembershipChange::Joined)]
    );
    assert_eq!(system_lines(&got), ["alice created #dev"]);
    assert!(events(&mut b).is_empty(), "bob is not in #dev");

    // Names are case-insensitive and the '#' is optional.
    for dup in ["dev", "DEV", "#Dev"] {
        refused(create(&mut hub, &b, dup), ErrorCode::RoomExists, "#dev");
    }
    refused(
        create(&mut hub, &b, "no spaces"),
        ErrorCode::InvalidName,
        "not allowed",
    );
    create(&mut hub, &c, "ops").unwrap();
    drain(&mut c.rx);

    let listed = |hub: &mut Hub, who: &Client| match req(hub, who, Request::ListRooms).unwrap() {
        Reply::Rooms(r) => r
            .into_iter()
            .map(|r| (r.name, r.members))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        listed(&mut hub, &b),
        [
            ("dev".to_string(), 1),
            ("general".into(), 3),
            ("ops".into(), 1)
        ]
    );

    // Posting before joining is refused with the way out.
    refused(
        send(&mut hub, &b, room("dev"), "hi"),
        ErrorCode::NotMember,
        "/join #dev",
    );
    refused(
        hub.handle(
            b.sid,
            Request::After {
                conv: room("dev"),
                after: 0,
                limit: 10,
            },
            now_ms(),
        ),
        ErrorCode::NotMember,
        "#dev",
    );
    refused(
        join(&mut hub, &b, "nope"),
        ErrorCode::NoSuchRoom,
        "there is no room #nope",
    );

    let joined = join(&mut hub, &b, "#DEV").unwrap();
    let Reply::Summaries(s) = joined else {
        panic!("{joined:?}")
    };
    assert_eq!(s[0].conv, room("dev"));
    assert_eq!(s[0].role, Role::Member);
    assert_eq!(s[0].unread(), 0, "the joiner has seen their own join line");
    for who in [&mut a, &mut b] {
        let got = events(who);
        assert_eq!(
            membership_events(&got),
            [membership("dev", "bob", MembershipChange::Joined)]
        );
        assert_eq!(system_lines(&got), ["bob joined"]);
    }
    assert!(events(&mut c).is_empty());
    // Joining again changes nothing.
    join(&mut hub, &b, "dev").unwrap();
    assert!(events(&mut a).is_empty());
    assert_eq!(
        listed(&mut hub, &c),
        [
            ("dev".to_string(), 2),
            ("general".into(), 3),
            ("ops".into(), 1)
        ]
    );
    assert_eq!(sent_seq(send(&mut hub, &b, room("dev"), "hi")), 3);
    assert_eq!(texts(&messages(&mut a)), ["hi"]);
    drain(&mut b.rx);

    assert_eq!(leave(&mut hub, &b, "dev").unwrap(), Reply::Ok);
    let got = events(&mut a);
    assert_eq!(
        membership_events(&got),
        [membership("dev", "bob", MembershipChange::Left)]
    );
    assert_eq!(system_lines(&got), ["bob left"]);
    // The leaver hears that they left, but gets no more room messages.
    assert_eq!(
        events(&mut b),
        [membership("dev", "bob", MembershipChange::Left)]
    );
    refused(leave(&mut hub, &b, "dev"), ErrorCode::NotMember, "#dev");
    refused(
        send(&mut hub, &b, room("dev"), "still here?"),
        ErrorCode::NotMember,
        "#dev",
    );
    send(&mut hub, &a, room("dev"), "bye bob").unwrap();
    assert!(events(&mut b).is_empty());

    let e = refused(
        leave(&mut hub, &a, "general"),
        ErrorCode::PermissionDenied,
        "#general",
    );
    assert!(e.message.contains("cannot be left"), "{}", e.message);
    assert_eq!(members(&mut hub, &a, "general").len(), 3);
    assert_eq!(
        listed(&mut hub, &c),
        [
            ("dev".to_string(), 1),
            ("general".into(), 3),
            ("ops".into(), 1)
        ]
    );
}

#[test]
fn kick_and_promote_follow_roles() {
    let mut hub = hub();
    let ids: Vec<UserId> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|n| user(&mut hub, n))
        .collect();
    let mut cs: Vec<Client> = ids.iter().map(|u| connect(&mut hub, *u)).collect();
    create(&mut hub, &cs[0], "ops").unwrap();
    for c in &cs[1..] {
        join(&mut hub, c, "ops").unwrap();
    }
    for c in &mut cs {
        drain(&mut c.rx);
    }
    let [a, b, c, d] = &mut cs[..] else {
        unreachable!()
    };

    // A plain member can neither kick nor promote.
    refused(
        kick(&mut hub, b, "ops", "carol"),
        ErrorCode::PermissionDenied,
        "only the owner and admins of #ops can kick",
    );
    refused(
        promote(&mut hub, b, "ops", "carol"),
        ErrorCode::PermissionDenied,
        "only the owner and admins of #ops can promote",
    );
    // Someone outside the room is told so.
    refused(
        kick(&mut hub, a, "ops", "nobody"),
        ErrorCode::NoSuchUser,
        "@nobody",
    );
    refused(
        kick(&mut hub, a, "general", "bob"),
        ErrorCode::PermissionDenied,
        "#general",
    );
    refused(
        kick(&mut hub, a, "ops", "alice"),
        ErrorCode::BadRequest,
        "/leave",
    );
    assert!(events(b).is_empty() && events(c).is_empty());

    assert_eq!(promote(&mut hub, a, "ops", "@bob").unwrap(), Reply::Ok);
    for who in [&mut *a, &mut *b, &mut *c, &mut *d] {
        let got = events(who);
        assert_eq!(
            membership_events(&got),
            [membership(
                "ops",
                "bob",
                MembershipChange::Promoted { by: "alice".into() }
            )]
        );
        assert_eq!(system_lines(&got), ["bob was made an admin by alice"]);
    }
    assert_eq!(
        members(&mut hub, d, "ops"),
        [
            ("alice".to_string(), Role::Owner),
            ("bob".into(), Role::Admin),
            ("carol".into(), Role::Member),
            ("dave".into(), Role::Member)
        ]
    );
    refused(
        promote(&mut hub, a, "ops", "bob"),
        ErrorCode::BadRequest,
        "already an admin",
    );

    // An admin cannot kick the owner (nor another admin), but can kick members.
    refused(
        kick(&mut hub, b, "ops", "alice"),
        ErrorCode::PermissionDenied,
        "not below yours",
    );
    assert!(events(a).is_empty());
    assert_eq!(kick(&mut hub, b, "ops", "carol").unwrap(), Reply::Ok);
    assert_eq!(
        membership_events(&events(c)),
        [membership(
            "ops",
            "carol",
            MembershipChange::Kicked { by: "bob".into() }
        )]
    );
    assert_eq!(system_lines(&events(a)), ["carol was removed by bob"]);
    assert_eq!(system_lines(&events(d)), ["carol was removed by bob"]);

    // The owner kicks dave: dave is told and can no longer read or post.
    assert_eq!(kick(&mut hub, a, "ops", "dave").unwrap(), Reply::Ok);
    let got = events(d);
    assert_eq!(
        got,
        [membership(
            "ops",
            "dave",
            MembershipChange::Kicked { by: "alice".into() }
        )],
        "the kicked user gets the event but not the system line"
    );
    assert_eq!(
        system_lines(&events(b)),
        ["carol was removed by bob", "dave was removed by alice"]
    );
    assert!(events(c).is_empty(), "carol is no longer in #ops");
    refused(
        hub.handle(
            d.sid,
            Request::After {
                conv: room("ops"),
                after: 0,
                limit: 50,
            },
            now_ms(),
        ),
        ErrorCode::NotMember,
        "#ops",
    );
    refused(
        send(&mut hub, d, room("ops"), "let me back"),
        ErrorCode::NotMember,
        "#ops",
    );
    assert!(!summaries(&mut hub, d).iter().any(|s| s.conv == room("ops")));
    assert_eq!(
        members(&mut hub, a, "ops"),
        [
            ("alice".to_string(), Role::Owner),
            ("bob".into(), Role::Admin)
        ]
    );
    // Kicking someone not in the room.
    refused(
        kick(&mut hub, a, "ops", "dave"),
        ErrorCode::NotMember,
        "dave is not a member of #ops",
    );
    // An admin can promote too.
    join(&mut hub, c, "ops").unwrap();
    assert_eq!(promote(&mut hub, b, "ops", "carol").unwrap(), Reply::Ok);
    assert_eq!(
        summary_of(&summaries(&mut hub, c), &room("ops")).role,
        Role::Admin
    );
}

#[test]
fn owner_leaving_passes_the_room_to_the_longest_standing_member() {
    let mut hub = hub();
    let ids: Vec<UserId> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|n| user(&mut hub, n))
        .collect();
    let mut cs: Vec<Client> = ids.iter().map(|u| connect(&mut hub, *u)).collect();
    create(&mut hub, &cs[0], "team").unwrap();
    // Joined in order bob, carol, dave; dave is made admin, but bob has been there longest.
    for c in &cs[1..] {
        join(&mut hub, c, "team").unwrap();
    }
    promote(&mut hub, &cs[0], "team", "dave").unwrap();
    for c in &mut cs {
        drain(&mut c.rx);
    }
    let [a, b, c, d] = &mut cs[..] else {
        unreachable!()
    };

    assert_eq!(leave(&mut hub, a, "team").unwrap(), Reply::Ok);
    for who in [&mut *b, &mut *c, &mut *d] {
        let got = events(who);
        assert_eq!(
            membership_events(&got),
            [
                membership("team", "alice", MembershipChange::Left),
                membership("team", "bob", MembershipChange::Owner)
            ]
        );
        assert_eq!(system_lines(&got), ["alice left", "bob is now the owner"]);
    }
    assert_eq!(
        events(a),
        [membership("team", "alice", MembershipChange::Left)]
    );
    assert_eq!(
        members(&mut hub, c, "team"),
        [
            ("bob".to_string(), Role::Owner),
            ("carol".into(), Role::Member),
            ("dave".into(), Role::Admin)
        ]
    );
    assert_eq!(
        summary_of(&summaries(&mut hub, b), &room("team")).role,
        Role::Owner
    );
    // The new owner can moderate.
    assert_eq!(kick(&mut hub, b, "team", "dave").unwrap(), Reply::Ok);

    // And when they leave, carol (next longest) inherits.
    leave(&mut hub, b, "team").unwrap();
    assert_eq!(
        members(&mut hub, c, "team"),
        [("carol".to_string(), Role::Owner)]
    );
    // The last one out leaves an empty room, which can be joined again.
    leave(&mut hub, c, "team").unwrap();
    assert!(members(&mut hub, c, "team").is_empty());
    join(&mut hub, a, "team").unwrap();
    assert_eq!(
        members(&mut hub, a, "team"),
        [("alice".to_string(), Role::Member)]
    );
}

#[test]
fn dms_reach_offline_users_at_login() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let mut a = connect(&mut hub, alice);
    let mut c = connect(&mut hub, carol);
    drain(&mut a.rx);

    let reply = send(&mut hub, &a, dm("bob"), "are you there?").unwrap();
    let Reply::Sent { conv, seq, .. } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!((conv, seq), (dm("bob"), 1));
    let mine = messages(&mut a);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].conv, dm("bob"));
    assert_eq!(mine[0].sender, "alice");
    assert!(events(&mut c).is_empty(), "carol must not see the DM");
    refused(
        send(&mut hub, &a, dm("nobody"), "hi"),
        ErrorCode::NoSuchUser,
        "there is no user @nobody",
    );
    refused(
        send(&mut hub, &a, dm("@ghost"), "hi"),
        ErrorCode::NoSuchUser,
        "@ghost",
    );

    // Bob logs in later and finds it unread.
    let (mut b, reply) = connect_with(&mut hub, bob, OUTBOX_CAPACITY);
    drain(&mut b.rx);
    let Reply::LoggedIn { conversations, .. } = reply else {
        panic!("{reply:?}")
    };
    let s = summary_of(&conversations, &dm("alice"));
    assert_eq!((s.last_seq, s.read_seq, s.unread()), (1, 0, 1));
    assert_eq!(s.role, Role::Member);
    assert!(s.topic.is_empty());
    let got = after(&mut hub, &b, dm("alice"), s.read_seq, 50);
    assert_eq!(texts(&got), ["are you there?"]);
    assert_eq!(got[0].conv, dm("alice"));
    assert_eq!(got[0].sender, "alice");

    // A reply is seen by each side under the other's name.
    assert_eq!(sent_seq(send(&mut hub, &b, dm("alice"), "yes")), 2);
    let to_alice = messages(&mut a);
    let to_bob = messages(&mut b);
    assert_eq!(to_alice.len(), 1);
    assert_eq!(to_bob.len(), 1);
    assert_eq!(to_alice[0].conv, dm("bob"));
    assert_eq!(to_bob[0].conv, dm("alice"));
    assert_eq!((to_alice[0].seq, to_alice[0].sender.as_str()), (2, "bob"));
    assert_eq!(events(&mut c), [presence("bob", PresenceStatus::Online)]);

    // Carol is not part of it.
    assert!(!summaries(&mut hub, &c)
        .iter()
        .any(|s| matches!(s.conv, ConvRef::Dm(_))));
    let a_dm = summary_of(&summaries(&mut hub, &a), &dm("bob"));
    assert_eq!((a_dm.last_seq, a_dm.read_seq), (2, 1));
}

#[test]
fn replies_name_conversations_canonically() {
    // Rooms and usernames are case-insensitive; replies and pages must use the same
    // canonical ConvRef as pushed events, or a client cannot match them up.
    let mut hub = hub();
    let (alice, _bob) = (user(&mut hub, "alice"), user(&mut hub, "Bob"));
    let mut a = connect(&mut hub, alice);
    let reply = send(&mut hub, &a, dm("BOB"), "hi").unwrap();
    let Reply::Sent { conv, .. } = reply else {
        panic!("{reply:?}")
    };
    let pushed = messages(&mut a);
    assert_eq!(pushed[0].conv, dm("Bob"));
    assert_eq!(conv, dm("Bob"));
    let Reply::Sent { conv, .. } = send(&mut hub, &a, room("#General"), "hi").unwrap() else {
        panic!()
    };
    assert_eq!(conv, room("general"));
    let reply = hub
        .handle(
            a.sid,
            Request::After {
                conv: dm("bob"),
                after: 0,
                limit: 10,
            },
            now_ms(),
        )
        .unwrap();
    let Reply::Messages { conv, messages } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(conv, dm("Bob"));
    assert_eq!(messages[0].conv, dm("Bob"));
    let got = before(&mut hub, &a, room("GENERAL"), u64::MAX, 10);
    assert_eq!(got[0].conv, room("general"));
}

#[test]
fn read_cursors_and_mute_are_shared_by_a_users_sessions() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a1 = connect(&mut hub, alice);
    let mut a2 = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    for text in ["one", "two", "three"] {
        send(&mut hub, &b, room("general"), text).unwrap();
    }
    drain(&mut a2.rx);

    let s = summary_of(&summaries(&mut hub, &a1), &room("general"));
    assert_eq!((s.last_seq, s.read_seq, s.unread()), (3, 0, 3));

    let mark = |hub: &mut Hub, seq| {
        req(
            hub,
            &a1,
            Request::MarkRead {
                conv: room("general"),
                seq,
            },
        )
    };
    assert_eq!(mark(&mut hub, 2).unwrap(), Reply::Ok);
    let got = events(&mut a2);
    assert_eq!(got.len(), 1, "{got:?}");
    let Event::ConvState(state) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(state.conv, room("general"));
    assert_eq!((state.read_seq, state.unread()), (2, 1));
    let s = summary_of(&summaries(&mut hub, &a2), &room("general"));
    assert_eq!((s.read_seq, s.unread()), (2, 1));

    // The cursor never moves back, and never past the end.
    mark(&mut hub, 1).unwrap();
    assert_eq!(
        summary_of(&summaries(&mut hub, &a1), &room("general")).read_seq,
        2
    );
    mark(&mut hub, 99).unwrap();
    assert_eq!(
        summary_of(&summaries(&mut hub, &a1), &room("general")).read_seq,
        3
    );
    // "Everything" is a valid cursor too, not a storage error.
    mark(&mut hub, u64::MAX).unwrap();
    assert_eq!(
        summary_of(&summaries(&mut hub, &a1), &room("general")).read_seq,
        3
    );
    // Bob's cursor is his own.
    assert_eq!(
        summary_of(&summaries(&mut hub, &b), &room("general")).read_seq,
        3,
        "bob wrote all three"
    );
    drain(&mut a2.rx);

    let mute = |hub: &mut Hub, muted| {
        req(
            hub,
            &a1,
            Request::SetMuted {
                conv: room("general"),
                muted,
            },
        )
    };
    assert_eq!(mute(&mut hub, true).unwrap(), Reply::Ok);
    match &events(&mut a2)[..] {
        [Event::ConvState(s)] => assert!(s.muted),
        other => panic!("{other:?}"),
    }
    assert!(summary_of(&summaries(&mut hub, &a2), &room("general")).muted);
    assert!(!summary_of(&summaries(&mut hub, &b), &room("general")).muted);
    mute(&mut hub, false).unwrap();
    assert!(!summary_of(&summaries(&mut hub, &a1), &room("general")).muted);

    refused(
        req(
            &mut hub,
            &a1,
            Request::MarkRead {
                conv: room("dev"),
                seq: 1,
            },
        ),
        ErrorCode::NoSuchRoom,
        "#dev",
    );
}

#[test]
fn history_pages_forward_and_back() {
    let mut hub = hub();
    let alice = user(&mut hub, "alice");
    let a = connect(&mut hub, alice);
    for i in 1..=10 {
        send(&mut hub, &a, room("general"), &format!("m{i}")).unwrap();
    }
    let newest = before(&mut hub, &a, room("general"), u64::MAX, 3);
    assert_eq!(seqs(&newest), [8, 9, 10]);
    assert_eq!(texts(&newest), ["m8", "m9", "m10"]);
    assert!(newest.iter().all(|m| m.conv == room("general")));
    assert_eq!(
        seqs(&before(&mut hub, &a, room("general"), 8, 3)),
        [5, 6, 7]
    );
    assert_eq!(seqs(&before(&mut hub, &a, room("general"), 3, 3)), [1, 2]);
    assert!(before(&mut hub, &a, room("general"), 1, 3).is_empty());

    assert_eq!(
        seqs(&after(&mut hub, &a, room("general"), 0, 4)),
        [1, 2, 3, 4]
    );
    assert_eq!(
        seqs(&after(&mut hub, &a, room("general"), 4, 4)),
        [5, 6, 7, 8]
    );
    assert_eq!(seqs(&after(&mut hub, &a, room("general"), 8, 4)), [9, 10]);
    assert!(after(&mut hub, &a, room("general"), 10, 4).is_empty());
    assert!(after(&mut hub, &a, room("general"), u64::MAX, 4).is_empty());
    // A zero limit still returns one message; a huge one is capped.
    assert_eq!(seqs(&after(&mut hub, &a, room("general"), 0, 0)), [1]);

    let general = hub.store().general().unwrap().id;
    for i in 11..=70 {
        let id = MsgId::random();
        hub.store()
            .append_message(
                general,
                alice,
                &id.0,
                store::MessageKind::Text,
                &format!("m{i}"),
                now_ms(),
            )
            .unwrap();
    }
    let big = before(&mut hub, &a, room("general"), u64::MAX, 1000);
    assert_eq!(big.len(), MAX_HISTORY_PAGE as usize);
    assert_eq!(big.first().unwrap().seq, 21);
    assert_eq!(big.last().unwrap().seq, 70);
    let big = after(&mut hub, &a, room("general"), 0, u32::MAX);
    assert_eq!(seqs(&big), (1..=50).collect::<Vec<_>>());
}

#[test]
fn presence_follows_sessions_and_away() {
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let mut hub = Hub::new(Store::open_in_memory().unwrap(), Some(out_tx));
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    assert_eq!(out_rx.try_recv().unwrap().status, PresenceStatus::Online);

    let (mut b1, _) = connect_with(&mut hub, bob, OUTBOX_CAPACITY);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Online)]);
    let announced = out_rx.try_recv().unwrap();
    assert_eq!(
        (announced.username.as_str(), announced.status),
        ("bob", PresenceStatus::Online)
    );
    drain(&mut b1.rx);

    // A second session is not news.
    let b2 = connect(&mut hub, bob);
    assert!(events(&mut a).is_empty());
    assert!(events(&mut b1).is_empty());
    assert!(out_rx.try_recv().is_err());

    let away = |hub: &mut Hub, c: &Client, away| {
        assert_eq!(req(hub, c, Request::SetAway { away }).unwrap(), Reply::Ok)
    };
    // One of two sessions away: still online.
    away(&mut hub, &b1, true);
    assert!(events(&mut a).is_empty());
    away(&mut hub, &b2, true);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Away)]);
    assert_eq!(out_rx.try_recv().unwrap().status, PresenceStatus::Away);
    let users = match req(&mut hub, &a, Request::Users).unwrap() {
        Reply::Users(u) => u,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        users
            .iter()
            .map(|u| (u.username.as_str(), u.status))
            .collect::<Vec<_>>(),
        [
            ("alice", PresenceStatus::Online),
            ("bob", PresenceStatus::Away)
        ]
    );
    let in_general = match req(
        &mut hub,
        &a,
        Request::Members {
            name: "general".into(),
        },
    )
    .unwrap()
    {
        Reply::Members { members, .. } => members,
        other => panic!("{other:?}"),
    };
    assert_eq!(in_general[1].status, PresenceStatus::Away);

    away(&mut hub, &b2, false);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Online)]);

    // Closing the non-away session leaves bob away; closing the last makes him offline.
    hub.close_session(b2.sid);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Away)]);
    drain(&mut b1.rx);
    hub.close_session(b1.sid);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Offline)]);
    assert_eq!(hub.session_count(), 1);
    assert_eq!(b1.alive.try_recv(), Err(TryRecvError::Closed));
    refused(
        req(&mut hub, &b1, Request::Summaries),
        ErrorCode::NotAuthenticated,
        "ended",
    );
    // Closing twice is harmless.
    hub.close_session(b1.sid);
    assert!(events(&mut a).is_empty());
}

#[test]
fn search_only_sees_the_users_conversations() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let a = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    let c = connect(&mut hub, carol);
    create(&mut hub, &a, "secret").unwrap();
    send(&mut hub, &a, room("secret"), "banana launch codes").unwrap();
    send(&mut hub, &b, room("general"), "banana bread recipe").unwrap();
    send(&mut hub, &b, dm("alice"), "banana split tonight?").unwrap();
    send(&mut hub, &c, room("general"), "apples only").unwrap();

    let search = |hub: &mut Hub, who: &Client, q: &str| match req(
        hub,
        who,
        Request::Search {
            query: q.into(),
            limit: 20,
        },
    )
    .unwrap()
    {
        Reply::SearchResults(r) => r.into_iter().map(|m| (m.conv, m.text)).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        search(&mut hub, &c, "banana"),
        [(room("general"), "banana bread recipe".to_string())]
    );
    let mut mine = search(&mut hub, &a, "banana");
    mine.sort();
    assert_eq!(
        mine,
        [
            (room("general"), "banana bread recipe".to_string()),
            (room("secret"), "banana launch codes".into()),
            (dm("bob"), "banana split tonight?".into()),
        ]
    );
    let mut bobs = search(&mut hub, &b, "banana");
    bobs.sort();
    assert_eq!(
        bobs,
        [
            (room("general"), "banana bread recipe".to_string()),
            (dm("alice"), "banana split tonight?".into()),
        ]
    );
    // System lines are not searchable.
    assert!(search(&mut hub, &a, "created").is_empty());
    assert!(search(&mut hub, &a, "   ").is_empty());
}

#[test]
fn a_session_that_stops_reading_is_dropped_and_others_keep_receiving() {
    let mut hub = hub();
    let (alice, bob, slow) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "slow"),
    );
    let mut a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    let (mut s, _) = connect_with(&mut hub, slow, 2);
    drain(&mut a.rx);
    drain(&mut b.rx);
    // The slow session's outbox already holds its own presence; one more fills it.
    assert_eq!(hub.session_count(), 3);
    send(&mut hub, &a, room("general"), "one").unwrap();
    assert_eq!(hub.session_count(), 3);
    assert_eq!(s.alive.try_recv(), Err(TryRecvError::Empty));

    send(&mut hub, &a, room("general"), "two").unwrap();
    assert_eq!(hub.session_count(), 2);
    assert_eq!(s.alive.try_recv(), Err(TryRecvError::Closed));
    // What was queued before the drop is still there; then the outbox is closed.
    let queued = drain(&mut s.rx);
    assert_eq!(queued.len(), 2);
    assert!(s.rx.is_closed());
    refused(
        req(&mut hub, &s, Request::Summaries),
        ErrorCode::NotAuthenticated,
        "ended",
    );

    for who in [&mut a, &mut b] {
        let got = events(who);
        assert_eq!(
            texts(
                &got.iter()
                    .filter_map(|e| match e {
                        Event::Message(m) => Some(m.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            ),
            ["one", "two"]
        );
        assert!(got.contains(&presence("slow", PresenceStatus::Offline)));
    }
    send(&mut hub, &b, room("general"), "three").unwrap();
    assert_eq!(texts(&messages(&mut a)), ["three"]);
    assert_eq!(hub.session_count(), 2);
}

#[test]
fn a_burst_beyond_the_limit_is_rate_limited() {
    let mut hub = hub();
    let alice = user(&mut hub, "alice");
    let bob = user(&mut hub, "bob");
    let a = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    let burst = TokenBucket::MESSAGE_BURST as usize;
    let mut accepted = 0;
    let mut refusal = None;
    // The bucket refills at 20/s, so a few extra may slip in on a slow machine, but never
    // another whole burst.
    for i in 0..2 * burst {
        match send(&mut hub, &a, room("general"), &format!("spam {i}")) {
            Ok(_) => accepted += 1,
            Err(e) => {
                refusal = Some(e.0);
                break;
            }
        }
    }
    let refusal = refusal.expect("a double burst was never rate limited");
    assert_eq!(refusal.code, ErrorCode::RateLimited);
    assert!(
        refusal.message.contains("20 per second"),
        "{}",
        refusal.message
    );
    assert!(
        (burst..2 * burst).contains(&accepted),
        "accepted {accepted}"
    );
    // Refused messages are not stored; the limit is per session.
    let last = summary_of(&summaries(&mut hub, &a), &room("general")).last_seq;
    assert_eq!(last, accepted as u64);
    assert_eq!(
        sent_seq(send(&mut hub, &b, room("general"), "not me")),
        last + 1
    );
}

#[test]
fn requests_that_belong_to_the_connection_are_refused() {
    let mut hub = hub();
    let alice = user(&mut hub, "alice");
    let a = connect(&mut hub, alice);
    refused(
        req(&mut hub, &a, Request::Logout),
        ErrorCode::BadRequest,
        "connection",
    );
    refused(
        req(
            &mut hub,
            &a,
            Request::Login {
                username: "alice".into(),
                password: "x".into(),
            },
        ),
        ErrorCode::BadRequest,
        "already logged in",
    );
    assert_eq!(hub.session_user(a.sid), Some((alice, "alice".to_string())));
    assert_eq!(a.user, alice);
}

#[test]
fn topic_changes_reach_members() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    create(&mut hub, &a, "dev").unwrap();
    join(&mut hub, &b, "dev").unwrap();
    drain(&mut a.rx);
    drain(&mut b.rx);
    let topic = |hub: &mut Hub, c: &Client, t: &str| {
        req(
            hub,
            c,
            Request::SetTopic {
                name: "dev".into(),
                topic: t.into(),
            },
        )
    };
    refused(
        topic(&mut hub, &b, "mine"),
        ErrorCode::PermissionDenied,
        "only the owner and admins of #dev",
    );
    assert_eq!(topic(&mut hub, &a, "ship it").unwrap(), Reply::Ok);
    let got = events(&mut b);
    assert_eq!(
        got[0],
        Event::Topic {
            room: "dev".into(),
            topic: "ship it".into(),
            by: "alice".into()
        }
    );
    assert_eq!(system_lines(&got), ["alice set the topic: ship it"]);
    let bobs = summary_of(&summaries(&mut hub, &b), &room("dev"));
    assert_eq!(bobs.topic, "ship it");
    assert_eq!(bobs.unread(), 1, "bob has not seen the topic line");
    let alices = summary_of(&summaries(&mut hub, &a), &room("dev"));
    assert_eq!(alices.unread(), 0, "alice set the topic herself");
    // Anyone may set the topic of #general.
    assert_eq!(
        req(
            &mut hub,
            &b,
            Request::SetTopic {
                name: "general".into(),
                topic: "welcome".into(),
            },
        )
        .unwrap(),
        Reply::Ok
    );
    refused(
        topic(&mut hub, &a, "two\nlines"),
        ErrorCode::BadRequest,
        "one line",
    );
}

#[test]
fn display_name_changes_are_announced_and_used() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    let set = |hub: &mut Hub, display: &str| {
        req(
            hub,
            &a,
            Request::SetDisplay {
                display: display.into(),
            },
        )
    };
    refused(set(&mut hub, "   "), ErrorCode::InvalidName, "display name");
    assert!(events(&mut b).is_empty());
    assert_eq!(set(&mut hub, "Alice A.").unwrap(), Reply::Ok);
    assert_eq!(
        events(&mut b),
        [Event::Presence(UserInfo {
            username: "alice".into(),
            display: "Alice A.".into(),
            status: PresenceStatus::Online,
        })]
    );
    send(&mut hub, &a, room("general"), "hi").unwrap();
    assert_eq!(messages(&mut b)[0].sender_display, "Alice A.");
}

// ---- file offers: consent, tokens, authorization ----

fn offer(hub: &mut Hub, from: &Client, to: &str) -> u64 {
    let request = Request::OfferFile {
        to: to.into(),
        name: "plan.pdf".into(),
        size: 10,
        hash: [7; 32],
    };
    match hub.handle(from.sid, request, now_ms()).unwrap() {
        Reply::Offered(o) => o.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn offer_tokens_work_once_and_only_for_their_offer_and_party() {
    let mut hub = hub();
    let (a, b, c) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (alice, mut bob, carol) = (
        connect(&mut hub, a),
        connect(&mut hub, b),
        connect(&mut hub, c),
    );
    let id = offer(&mut hub, &alice, "bob");
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::FileOffer(o) if o.id == id)));

    // Nobody but the recipient may answer; an unaccepted offer opens no relay.
    let err = hub
        .handle(
            carol.sid,
            Request::AnswerOffer { id, accept: true },
            now_ms(),
        )
        .unwrap_err();
    assert_eq!(err.0.code, ErrorCode::NoSuchFile);
    assert!(hub.relay_allowed(a, id, &[0; 32], true).is_err());

    let token = match hub
        .handle(bob.sid, Request::AnswerOffer { id, accept: true }, now_ms())
        .unwrap()
    {
        Reply::Accepted { token, .. } => token,
        other => panic!("{other:?}"),
    };
    assert!(hub.relay_allowed(a, id, &token, true).is_ok());
    assert!(hub.relay_allowed(b, id, &token, false).is_ok());
    assert!(
        hub.relay_allowed(c, id, &token, true).is_err(),
        "only the parties"
    );
    assert!(
        hub.relay_allowed(b, id, &token, true).is_err(),
        "the recipient is not the sender"
    );
    assert!(
        hub.relay_allowed(a, id, &[1; 32], true).is_err(),
        "only with the token"
    );
    let other = offer(&mut hub, &alice, "bob");
    assert!(
        hub.relay_allowed(a, other, &token, true).is_err(),
        "only for its own offer"
    );

    // Only the recipient completes it; after that the token opens nothing and the offer is
    // not shown again at the next login.
    assert!(hub
        .handle(alice.sid, Request::OfferDone { id }, now_ms())
        .is_err());
    hub.handle(bob.sid, Request::OfferDone { id }, now_ms())
        .unwrap();
    assert!(hub.relay_allowed(a, id, &token, true).is_err());
    hub.close_session(bob.sid);
    let mut bob = connect_with(&mut hub, b, OUTBOX_CAPACITY).0;
    let offers: Vec<u64> = events(&mut bob)
        .into_iter()
        .filter_map(|e| match e {
            Event::FileOffer(o) => Some(o.id),
            _ => None,
        })
        .collect();
    assert_eq!(offers, [other], "only the pending offer is shown again");
}

#[test]
fn sender_logout_withdraws_offers_and_uploads_need_their_ticket() {
    let mut hub = hub();
    let (a, b) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let (alice, mut bob) = (connect(&mut hub, a), connect(&mut hub, b));
    let id = offer(&mut hub, &alice, "bob");
    drain(&mut bob.rx);
    hub.withdraw_offers_of(a);
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::OfferCancelled { id: i, by } if *i == id && by == "alice")));
    assert!(hub.upload(a, 1, &[0; 32]).is_err());
}

#[test]
fn a_full_disk_refuses_the_whole_batch_delivers_nothing_and_the_hub_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Hub::new(Store::open(&dir.path().join("full.db")).unwrap(), None);
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    drain(&mut b.rx);
    hub.store().cap_size(0).unwrap();
    // Fill what room the last pages have left, until a message is refused.
    let mut stored = 0u64;
    let text = "x".repeat(2000);
    let refused = loop {
        match send(&mut hub, &a, room("general"), &text) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 10_000, "the capped database never filled");
    };
    assert_eq!(refused.0.code, ErrorCode::Internal);
    assert!(refused.0.message.contains("full"), "{}", refused.0.message);
    assert_eq!(
        messages(&mut b).len() as u64,
        stored,
        "the refused one was not delivered"
    );

    // A batch of three when the disk is full: all refused, none delivered or stored.
    let batch = (0..3)
        .map(|i| pending(&a, room("general"), &format!("{i} {text}")))
        .collect();
    let results = hub.send_batch(batch, now_ms());
    assert_eq!(results.len(), 3);
    for r in &results {
        let e = r.as_ref().expect_err("nothing may be acknowledged");
        assert!(e.0.message.contains("full"), "{}", e.0.message);
    }
    assert!(messages(&mut b).is_empty());

    // The hub goes on: reads work, and once there is room again the next message gets the
    // next seq (nothing was half-stored).
    let summaries = req(&mut hub, &b, Request::Summaries);
    assert!(summaries.is_ok(), "{summaries:?}");
    hub.store().cap_size(1000).unwrap();
    let seq = sent_seq(send(&mut hub, &a, room("general"), "room again"));
    let general = hub.store().general().unwrap().id;
    let history = hub.store().messages_after(general, 0, 10_000).unwrap();
    assert_eq!(history.last().map(|m| m.seq), Some(seq));
    let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=seq).collect::<Vec<_>>(),
        "no gap, no half-stored message"
    );
    assert_eq!(messages(&mut b).len(), 1);
}

#[test]
fn a_batch_answers_each_message_in_order_and_delivers_only_the_stored_ones() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    create(&mut hub, &a, "private").unwrap();
    drain(&mut b.rx);
    let results = hub.send_batch(
        vec![
            pending(&a, room("general"), "one"),
            // Bob is not in #private: refused, and the others still go through.
            pending(&b, room("private"), "intrusion"),
            pending(&b, room("general"), "two"),
            pending(&a, room("general"), "   "),
            pending(&a, room("general"), "three"),
        ],
        now_ms(),
    );
    let seqs: Vec<Option<u64>> = results
        .iter()
        .map(|r| match r {
            Ok(Reply::Sent { seq, .. }) => Some(*seq),
            _ => None,
        })
        .collect();
    let general_last = seqs[0].unwrap();
    assert_eq!(
        seqs,
        [
            Some(general_last),
            None,
            Some(general_last + 1),
            None,
            Some(general_last + 2)
        ]
    );
    assert_eq!(
        results[1].as_ref().unwrap_err().0.code,
        ErrorCode::NotMember
    );
    assert_eq!(
        results[3].as_ref().unwrap_err().0.code,
        ErrorCode::BadRequest
    );
    let texts: Vec<String> = messages(&mut b).into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["one", "two", "three"]);
}
