//! Presence: online, away and offline follow the sessions; display names.
use super::*;

#[test]
fn presence_follows_sessions_and_away() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);

    let (mut b1, _) = connect_with(&mut hub, bob, OUTBOX_CAPACITY);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Online)]);
    drain(&mut b1.rx);

    // A second session is not news.
    let b2 = connect(&mut hub, bob);
    assert!(events(&mut a).is_empty());
    assert!(events(&mut b1).is_empty());

    let away = |hub: &mut Hub, c: &Client, away| {
        assert_eq!(req(hub, c, Request::SetAway { away }).unwrap(), Reply::Ok)
    };
    // One of two sessions away: still online.
    away(&mut hub, &b1, true);
    assert!(events(&mut a).is_empty());
    away(&mut hub, &b2, true);
    assert_eq!(events(&mut a), [presence("bob", PresenceStatus::Away)]);
    let users = match req(&mut hub, &a, Request::Users { after: None }).unwrap() {
        Reply::Users { users: u, .. } => u,
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
            after: 0,
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
        req(&mut hub, &b1, Request::SetAway { away: false }),
        ErrorCode::NotAuthenticated,
        "ended",
    );
    // Closing twice is harmless.
    hub.close_session(b1.sid);
    assert!(events(&mut a).is_empty());
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

/// Issue 12: `/nick alice` by bob was accepted, and so was a right-to-left override. Refused
/// now, with the reason; nobody hears of the attempt.
#[test]
fn display_names_that_pass_for_someone_else_are_refused() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    drain(&mut a.rx);
    let set = |hub: &mut Hub, display: &str| {
        req(
            hub,
            &b,
            Request::SetDisplay {
                display: display.into(),
            },
        )
    };
    for fake in ["alice", "Alice", "aIice", "\u{0430}lice"] {
        refused(
            set(&mut hub, fake),
            ErrorCode::InvalidName,
            "looks like the existing user alice",
        );
    }
    refused(
        set(&mut hub, "Bob \u{202E}nimda"),
        ErrorCode::InvalidName,
        "U+202E",
    );
    refused(
        set(&mut hub, "Alice (@alice)"),
        ErrorCode::InvalidName,
        "'@'",
    );
    assert!(events(&mut a).is_empty());
    // What is stored is what everyone hears: white space tidied.
    assert_eq!(set(&mut hub, "  Bob   Smith ").unwrap(), Reply::Ok);
    assert_eq!(
        events(&mut a),
        [Event::Presence(UserInfo {
            username: "bob".into(),
            display: "Bob Smith".into(),
            status: PresenceStatus::Online,
        })]
    );
}
