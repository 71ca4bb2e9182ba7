//! History and conversation state: read cursors and muting shared by a user's sessions, paging
//! back and forth, and search limited to the user's conversations.
use super::*;

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
    assert_eq!((s.last_seq, s.read_seq, s.unread), (3, 0, 3));

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
    assert_eq!((state.read_seq, state.unread), (2, 1));
    let s = summary_of(&summaries(&mut hub, &a2), &room("general"));
    assert_eq!((s.read_seq, s.unread), (2, 1));

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
            before: None,
        },
    )
    .unwrap()
    {
        Reply::SearchResults { messages: r, .. } => {
            r.into_iter().map(|m| (m.conv, m.text)).collect::<Vec<_>>()
        }
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
