//! Sessions: a session that stops reading is dropped, each user's rate limit (however many
//! sessions), and the requests that belong to the connection rather than the hub.
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
    // Refused messages are not stored; the limit is per user.
    let last = summary_of(&summaries(&mut hub, &a), &room("general")).last_seq;
    assert_eq!(last, accepted as u64);
    assert_eq!(
        sent_seq(send(&mut hub, &b, room("general"), "not me")),
        last + 1
    );
}

/// The attack of the issue: one user with ten sessions posted 600 messages in 0.39 s. The
/// allowance is the user's, whatever the number of sessions.
#[test]
fn ten_sessions_of_one_user_share_one_allowance() {
    let mut hub = hub();
    let mallory = user(&mut hub, "mallory");
    let sessions: Vec<Client> = (0..10).map(|_| connect(&mut hub, mallory)).collect();
    let now = now_ms();
    let mut accepted = 0;
    let mut refusal = None;
    for round in 0..60 {
        for s in &sessions {
            let request = Request::Send {
                conv: room("general"),
                id: MsgId::random(),
                text: format!("flood {round}"),
            };
            match hub.handle(s.sid, request, now) {
                Ok(_) => accepted += 1,
                Err(e) => refusal = Some(e.0),
            }
        }
    }
    // At one instant: exactly one burst, not ten.
    assert_eq!(accepted, TokenBucket::MESSAGE_BURST as usize);
    let refusal = refusal.expect("refused");
    assert_eq!(refusal.code, ErrorCode::RateLimited);
    assert!(
        refusal.message.contains("all its sessions together"),
        "{}",
        refusal.message
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
