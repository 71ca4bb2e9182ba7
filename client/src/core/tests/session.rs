//! Logging in, sending, and staying connected: resume, resend, backoff, catch-up.
use super::*;
use crate::api::Command;
use crate::core::{CONNECT_TIMEOUT, MAX_BACKOFF, MIN_BACKOFF};

const TOKEN: [u8; 32] = [7; 32];

fn login(user: &str) -> Command {
    Command::Login {
        username: user.into(),
        password: "correct horse battery".into(),
    }
}

fn send(conv: ConvRef, text: &str, id: u8) -> Command {
    Command::Send {
        conv,
        text: text.into(),
        id: MsgId([id; 16]),
    }
}

/// A core logged in over an explicit connection, its start-up frames answered.
pub(super) fn logged_in(conversations: Vec<ConvSummary>) -> Harness {
    let mut h = Harness::explicit();
    h.command(login("alice"));
    let frames = h.open();
    assert!(
        matches!(frames[0].request, Request::LoginStart { .. }),
        "{frames:?}"
    );
    h.logged_in(&frames[0], TOKEN, conversations);
    h
}

fn disconnected_retry(events: &[Event]) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Event::Disconnected { retry_in_ms, .. } => Some(*retry_in_ms),
        _ => None,
    })
}

#[test]
fn logs_in_once_greeted_with_the_credentials_given_before() {
    let mut h = Harness::explicit();
    assert!(matches!(h.actions()[..], [Action::Connect(_)]));
    h.command(login("alice"));
    assert_eq!(
        h.sent(),
        [],
        "nothing is sent before the connection is open"
    );
    let frames = h.open();
    assert_eq!(frames.len(), 1);
    assert!(
        matches!(&frames[0].request, Request::LoginStart { username, .. } if username == "alice")
    );
    h.logged_in(&frames[0], TOKEN, vec![summary(room("general"), 2, 5)]);
    // Catch-up of what was missed, then the session is lent to file streams.
    let actions = h.actions();
    let first_frame = actions.iter().find(|a| matches!(a, Action::Transmit(_)));
    assert!(
        matches!(
            first_frame,
            Some(Action::Transmit(ClientFrame {
                request: Request::After { after: 2, .. },
                ..
            }))
        ),
        "{actions:?}"
    );
    assert!(actions.contains(&Action::SessionReady));
    let events = h.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::LoggedIn { resumed: false, .. })));
    assert!(h.core.is_logged_in());
}

#[test]
fn a_sent_message_is_acknowledged_with_its_seq_and_not_resent_later() {
    let mut h = logged_in(vec![]);
    h.actions();
    h.command(send(room("general"), "hi", 1));
    let frames = h.sent();
    assert!(matches!(
        &frames[..],
        [ClientFrame {
            request: Request::Send { .. },
            ..
        }]
    ));
    h.reply(
        frames[0].id,
        Ok(Reply::Sent {
            conv: room("general"),
            id: MsgId([1; 16]),
            seq: 4,
            ts_ms: 0,
        }),
    );
    assert!(h.events().contains(&Event::Sent {
        conv: room("general"),
        id: MsgId([1; 16]),
        seq: 4
    }));
    // After a reconnect nothing is sent again.
    h.core.handle_connection_lost("gone".into(), h.now);
    h.wait_for_deadline();
    let frames = h.open();
    assert!(matches!(
        frames[..],
        [ClientFrame {
            request: Request::Resume { .. },
            ..
        }]
    ));
    h.logged_in(&frames[0], TOKEN, vec![]);
    assert!(!h
        .sent()
        .iter()
        .any(|f| matches!(f.request, Request::Send { .. })));
}

#[test]
fn a_message_whose_ack_was_lost_is_resent_with_the_same_id_after_resuming() {
    let mut h = logged_in(vec![]);
    h.actions();
    h.command(send(room("general"), "one", 1));
    h.command(send(room("general"), "two", 2));
    assert_eq!(h.sent().len(), 2);
    h.core.handle_connection_lost("network down".into(), h.now);
    let events = h.events();
    assert_eq!(
        disconnected_retry(&events),
        Some(MIN_BACKOFF.as_millis() as u64)
    );
    assert!(h.actions().contains(&Action::Close));
    h.wait_for_deadline();
    assert!(matches!(h.actions()[..], [Action::Connect(_)]));
    let frames = h.open();
    assert!(
        matches!(frames[..], [ClientFrame { request: Request::Resume { token }, .. }] if token == TOKEN),
        "the session token, not the password: {frames:?}"
    );
    h.logged_in(&frames[0], TOKEN, vec![]);
    let resent: Vec<(MsgId, String)> = h
        .sent()
        .into_iter()
        .filter_map(|f| match f.request {
            Request::Send { id, text, .. } => Some((id, text)),
            _ => None,
        })
        .collect();
    assert_eq!(
        resent,
        [
            (MsgId([1; 16]), "one".into()),
            (MsgId([2; 16]), "two".into())
        ]
    );
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::LoggedIn { resumed: true, .. })));
}

#[test]
fn commands_given_while_disconnected_are_sent_in_order_after_login() {
    let mut h = Harness::explicit();
    h.command(send(room("general"), "early", 1));
    h.command(Command::JoinRoom("dev".into()));
    h.command(Command::ListRooms);
    h.command(login("alice"));
    let frames = h.open();
    h.logged_in(&frames[0], TOKEN, vec![]);
    let requests: Vec<&'static str> = h
        .sent()
        .iter()
        .map(|f| match f.request {
            Request::Send { .. } => "send",
            Request::JoinRoom { .. } => "join",
            Request::ListRooms { .. } => "rooms",
            Request::PendingOffers { .. } => "offers",
            _ => "other",
        })
        .collect();
    assert_eq!(requests, ["send", "offers", "join", "rooms"]);
}

#[test]
fn a_refused_resume_falls_back_to_the_password_and_a_refused_password_is_not_retried() {
    let mut h = logged_in(vec![]);
    h.core.handle_connection_lost("gone".into(), h.now);
    h.wait_for_deadline();
    let frames = h.open();
    h.reply(
        frames[0].id,
        Err(error(ErrorCode::SessionExpired, "the session has expired")),
    );
    let frames = h.sent();
    assert!(
        matches!(
            &frames[..],
            [ClientFrame {
                request: Request::LoginStart { .. },
                ..
            }]
        ),
        "{frames:?}"
    );
    h.reply(
        frames[0].id,
        Err(error(ErrorCode::AuthFailed, "wrong password")),
    );
    assert_eq!(h.sent(), [], "no second attempt with the same password");
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Error { code: Some(ErrorCode::AuthFailed), command: Some(c), .. } if c == "login")));
}

#[test]
fn backoff_doubles_up_to_its_cap_and_starts_again_after_a_login() {
    let mut h = Harness::explicit();
    let mut waits = Vec::new();
    for _ in 0..6 {
        h.core.handle_connect_failed("refused".into(), h.now);
        waits.push(disconnected_retry(&h.events()).unwrap());
        h.wait_for_deadline();
        h.actions();
    }
    assert_eq!(
        waits,
        [250, 500, 1000, 2000, 4000, MAX_BACKOFF.as_millis() as u64]
    );
    h.command(login("alice"));
    let frames = h.open();
    h.logged_in(&frames[0], TOKEN, vec![]);
    h.core.handle_connection_lost("gone".into(), h.now);
    assert_eq!(disconnected_retry(&h.events()), Some(250));
}

#[test]
fn a_connection_attempt_is_given_up_after_its_timeout() {
    let mut h = Harness::explicit();
    h.actions();
    h.advance(CONNECT_TIMEOUT - Duration::from_millis(1));
    assert_eq!(h.actions(), []);
    h.advance(Duration::from_millis(1));
    assert_eq!(h.actions(), [Action::Close]);
    let events = h.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::Disconnected { reason, .. } if reason.contains("did not answer within 5 s"))));
}

#[test]
fn logging_out_while_offline_reports_undelivered_messages_and_stops() {
    let mut h = Harness::explicit();
    h.command(send(room("general"), "lost", 1));
    h.command(Command::Logout);
    let events = h.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::Error { message, .. } if message.starts_with("1 message(s) were not delivered"))));
    assert!(events.contains(&Event::LoggedOut));
    assert!(h.core.is_stopped());
}

#[test]
fn logout_waits_for_what_was_sent_before() {
    let mut h = logged_in(vec![]);
    h.actions();
    h.command(send(room("general"), "last words", 1));
    h.command(Command::Logout);
    let frames = h.sent();
    assert!(
        matches!(frames.as_slice(), [f] if matches!(f.request, Request::Send { .. })),
        "the logout waits for the message's acknowledgement: {frames:?}"
    );
    h.reply(
        frames[0].id,
        Ok(Reply::Sent {
            conv: room("general"),
            id: MsgId([1; 16]),
            seq: 1,
            ts_ms: 0,
        }),
    );
    let frames = h.sent();
    assert!(matches!(frames[0].request, Request::Logout), "{frames:?}");
    assert!(!h.core.is_stopped());
    h.reply(frames[0].id, Ok(Reply::Ok));
    assert!(h.events().contains(&Event::LoggedOut));
    assert!(h.core.is_stopped());
    assert!(h.actions().contains(&Action::Close));
}

#[test]
fn catch_up_and_live_pushes_that_overlap_deliver_each_message_once_in_order() {
    let mut h = logged_in(vec![summary(room("general"), 0, 2)]);
    let fetch = h.sent();
    let Request::After { after: 0, .. } = fetch[0].request else {
        panic!("{fetch:?}")
    };
    // A live message overtakes the catch-up page that contains it.
    h.push(lanchat_net::protocol::Event::Message(message(
        room("general"),
        3,
    )));
    h.reply(
        fetch[0].id,
        Ok(Reply::Messages {
            conv: room("general"),
            messages: vec![
                message(room("general"), 1),
                message(room("general"), 2),
                message(room("general"), 3),
            ],
        }),
    );
    let seqs: Vec<(u64, bool)> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Message { message, backlog } => Some((message.seq, backlog)),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [(1, true), (2, true), (3, true)]);
}

#[test]
fn a_weak_password_is_refused_before_anything_is_sent() {
    let mut h = Harness::explicit();
    h.command(Command::Register {
        username: "alice".into(),
        password: "short".into(),
    });
    let frames = h.open();
    assert_eq!(
        frames,
        [],
        "the policy is the client's to apply: {frames:?}"
    );
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Error { code: Some(ErrorCode::WeakPassword), command: Some(c), message }
            if c == "register" && message.contains("at least 10"))));
}
