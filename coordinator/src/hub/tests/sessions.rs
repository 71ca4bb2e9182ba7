//! Sessions: a session that stops reading is dropped, and the requests that belong to the
//! connection rather than the hub. (Each user's pace, however many sessions, is the
//! connection's: `throttle::Pacer`, tested there and end to end.)
use super::*;

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
        req(&mut hub, &s, Request::SetAway { away: true }),
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
            Request::LoginStart {
                username: "alice".into(),
                request: lanchat_net::opaque::OpaqueBytes::new(vec![1; 96]).unwrap(),
            },
        ),
        ErrorCode::BadRequest,
        "already logged in",
    );
    assert_eq!(hub.session_user(a.sid), Some((alice, "alice".to_string())));
    assert_eq!(a.user, alice);
}
