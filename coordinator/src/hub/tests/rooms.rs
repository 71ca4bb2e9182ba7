//! Rooms and moderation: create, list, join, leave, kick, promote, succession, topics.
use super::*;

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
    assert_eq!(s[0].unread, 0, "the creator has seen the creation line");
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

    let listed =
        |hub: &mut Hub, who: &Client| match req(hub, who, Request::ListRooms { after: None })
            .unwrap()
        {
            Reply::Rooms { rooms: r, .. } => r
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
        req(
            &mut hub,
            &b,
            Request::After {
                conv: room("dev"),
                after: 0,
                limit: 10,
            },
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
    assert_eq!(s[0].unread, 0, "the joiner has seen their own join line");
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
        req(
            &mut hub,
            d,
            Request::After {
                conv: room("ops"),
                after: 0,
                limit: 50,
            },
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
    assert_eq!(bobs.unread, 1, "bob has not seen the topic line");
    let alices = summary_of(&summaries(&mut hub, &a), &room("dev"));
    assert_eq!(alices.unread, 0, "alice set the topic herself");
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
