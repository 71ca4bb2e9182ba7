//! Floods from an insider with an account and a modified client (issue 12, findings 7 and
//! 11), each performed against a real coordinator process: offers piled on an offline user,
//! one user posting through ten sessions, a room list too big for one frame, and connections
//! that never log in.
use std::time::{Duration, Instant};

use lanchat_client::{Command, Event};
use lanchat_net::protocol::{ConvRef, ErrorCode, MsgId, Reply, Request, MAX_LIST_PAGE};

use crate::raw::{connect_from, hello, logged_in, raw, resumed};
use crate::support::*;

/// Finding 7: "6,000 pending file offers to an offline user made every one of their logins
/// drop." Five accounts each try 60 offers at offline bob: each gets 50 through and is told
/// why not the rest, bob's inbox stops at 200, and bob logs in, hears of every waiting offer
/// and stays connected.
#[test]
fn offers_piled_on_an_offline_user_are_bounded_and_their_login_holds() {
    let (lan, coord, _dir) = office();
    drop(Client::register(&lan, "bob"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (accepted, refusals) = rt.block_on(async {
        let mut accepted = 0;
        let mut refusals = Vec::new();
        for i in 0..5 {
            let (mut c, _) = logged_in(&coord, &format!("mallory{i}"), true).await;
            let offers = (0..60u8)
                .map(|n| Request::OfferFile {
                    to: "bob".into(),
                    files: vec![lanchat_net::protocol::OfferEntry {
                        path: vec![format!("junk-{n}.bin")],
                        size: 1 << 30,
                    }],
                })
                .collect();
            for reply in c.pipeline(offers).await {
                match reply {
                    Ok(Reply::Offered(_)) => accepted += 1,
                    Err(e) => {
                        assert_eq!(e.code, ErrorCode::QuotaExceeded, "{e:?}");
                        refusals.push(e.message);
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        (accepted, refusals)
    });
    assert_eq!(accepted, 200, "{refusals:?}");
    assert!(
        refusals[0].contains("you have 50 file offers waiting"),
        "{}",
        refusals[0]
    );
    assert!(
        refusals
            .last()
            .unwrap()
            .contains("bob has 200 file offers waiting"),
        "{refusals:?}"
    );
    eprintln!(
        "offers to offline bob: {accepted} of 300 accepted; first refusal: {}",
        refusals[0]
    );

    let (mut bob, _) = Client::login(&lan, "bob");
    let mut offered = 0;
    while offered < 200 {
        bob.wait("offers", |e| {
            matches!(e, Event::FileOffered(_)).then_some(())
        });
        offered += 1;
    }
    // Still logged in and talking: the login did not drop.
    bob.say_acked(&general(), "still here");
    assert!(
        !bob.seen
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. })),
        "bob was never disconnected"
    );
}

/// Finding 11: "one user with 10 sessions posted 600 messages in 0.39 s". The same ten
/// sessions now share one pace: about the burst (60) at once, then 20 a second, all of them
/// together; and (issue 13) nothing is refused for speed: every message is stored, in its
/// session's order, once.
#[test]
fn ten_sessions_of_one_user_cannot_multiply_the_pace() {
    const EACH: usize = 20;
    let (_lan, coord, _dir) = office();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (replies, elapsed) = rt.block_on(async {
        let (first, token) = logged_in(&coord, "mallory", true).await;
        let mut sessions = vec![first];
        for _ in 1..10 {
            sessions.push(resumed(&coord, token).await);
        }
        let start = Instant::now();
        let floods = sessions.into_iter().enumerate().map(|(s, mut c)| {
            tokio::spawn(async move {
                let sends = (0..EACH)
                    .map(|i| Request::Send {
                        conv: ConvRef::Room("general".into()),
                        id: MsgId::random(),
                        text: format!("flood {s} {i}"),
                        reply_to: None,
                    })
                    .collect();
                c.pipeline(sends).await
            })
        });
        let mut replies = Vec::new();
        for flood in floods {
            replies.push(flood.await.unwrap());
        }
        (replies, start.elapsed())
    });
    let total = 10 * EACH;
    let mut stored = 0;
    for session in &replies {
        let seqs: Vec<u64> = session
            .iter()
            .map(|reply| match reply {
                Ok(Reply::Sent { seq, .. }) => *seq,
                other => panic!("refused for speed? {other:?}"),
            })
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
        stored += seqs.len();
    }
    eprintln!(
        "one user, 10 sessions, {total} messages: all {stored} stored, none refused, in {:.2} s",
        elapsed.as_secs_f64()
    );
    assert_eq!(stored, total);
    // The burst at once, the rest at 20 a second: ten sessions get no more than one user.
    let least = (total - 60 - 1) as f64 / 20.0;
    assert!(
        elapsed.as_secs_f64() >= least,
        "{total} stored in {elapsed:?}: faster than one user's pace ({least:.1} s)"
    );
}

/// Finding 11: "/rooms with 1,000 long-topic rooms produced a reply over the frame limit, so
/// nobody could list rooms." The list now comes in pages and the client gathers them.
#[test]
fn a_thousand_rooms_with_the_longest_topics_can_still_be_listed() {
    let (lan, coord, _dir) = office();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rooms = 1000;
    rt.block_on(async {
        let (mut c, _) = logged_in(&coord, "mallory", true).await;
        // 300 characters of 4 bytes each: the longest topic allowed.
        let topic = "\u{1F4A3}".repeat(300);
        let mut requests = Vec::new();
        for i in 0..rooms {
            let name = format!("junk-{i:04}");
            requests.push(Request::CreateRoom {
                name: name.clone(),
                private: false,
                full_history: false,
            });
            requests.push(Request::SetTopic {
                name,
                topic: topic.clone(),
            });
        }
        // A hundred at a time, reading what comes back in between (every room created also
        // tells its creator, and a client that does not read is dropped).
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(100));
            for reply in c.pipeline(std::mem::replace(&mut requests, rest)).await {
                assert!(reply.is_ok(), "{reply:?}");
            }
        }
    });
    let mut bob = Client::register(&lan, "bob");
    bob.send(Command::ListRooms);
    let listed = bob.wait("rooms", |e| match e {
        Event::Rooms(rooms) => Some(rooms.clone()),
        _ => None,
    });
    assert_eq!(listed.len(), rooms + 1, "every room, and #general");
    let bytes: usize = listed.iter().map(|r| r.name.len() + r.topic.len()).sum();
    eprintln!(
        "listed {} rooms ({bytes} bytes of names and topics, more than one 1 MiB frame) in \
         pages of {MAX_LIST_PAGE}",
        listed.len()
    );
    assert!(bytes > lanchat_net::codec::MAX_FRAME_LEN);
}

/// Finding 11: "Connections that never log in are held open: close them after a deadline
/// and cap unauthenticated connections per address." With a limit of 4 and a 3 s deadline:
/// the fifth is closed at once with the reason, the four are closed at their deadline, a
/// logged-in connection is not, and the address can connect again.
#[test]
fn connections_that_never_log_in_are_capped_per_address_and_closed_at_their_deadline() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let coord = CoordinatorProcess::start_with(
        &lan,
        &dir.path().join("coord"),
        "test-office",
        &[
            "--max-unauthenticated-per-address",
            "4",
            "--login-timeout-secs",
            "3",
        ],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut member, _) = logged_in(&coord, "alice", true).await;
        let opened = Instant::now();
        let mut idle = Vec::new();
        for _ in 0..4 {
            let mut c = raw(&coord).await;
            assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
            idle.push(c);
        }
        // Refused right after the handshake: it may be closed before it could open a stream.
        let (_endpoint, fifth) = connect_from(coord.addr, &coord.fingerprint, "127.0.0.1").await;
        let reason = tokio::time::timeout(PATIENCE, fifth.closed())
            .await
            .unwrap()
            .to_string();
        assert!(
            reason.contains("too many connections from this address are not logged in"),
            "{reason}"
        );
        for c in &idle {
            let reason = tokio::time::timeout(PATIENCE, c.closed()).await.unwrap();
            assert!(reason.contains("no login in time"), "{reason}");
        }
        let held = opened.elapsed();
        eprintln!(
            "4 idle connections closed after {:.1} s (deadline 3 s); the fifth refused at once",
            held.as_secs_f64()
        );
        assert!(held >= Duration::from_secs(3), "{held:?}");
        // The logged-in connection outlived the deadline, and the address may connect again.
        assert!(matches!(member.ask(Request::Ping).await, Ok(Reply::Ok)));
        let (mut again, _) = logged_in(&coord, "bob", true).await;
        assert!(matches!(again.ask(Request::Ping).await, Ok(Reply::Ok)));
    });
}
