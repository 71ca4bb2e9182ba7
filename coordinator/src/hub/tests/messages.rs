//! Messages: delivery to every session in order, idempotent resends, size limits, direct
//! messages to offline users, and conversation names in replies.
use super::*;

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
    let rooms = match req(&mut hub, &a1, Request::ListRooms { after: None }).unwrap() {
        Reply::Rooms { rooms: r, .. } => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        rooms,
        vec![RoomInfo {
            name: "general".into(),
            topic: String::new(),
            members: 3,
            private: false,
            archived: false,
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
    assert_eq!(general.unread, 4);
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
    assert_eq!((s.last_seq, s.read_seq, s.unread), (1, 0, 1));
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
    let reply = req(
        &mut hub,
        &a,
        Request::After {
            conv: dm("bob"),
            after: 0,
            limit: 10,
        },
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
