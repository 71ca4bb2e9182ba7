//! Finding the coordinator: pinned first, announcements as hints, first contact by consent,
//! key rollover by signed statement.
use lanchat_net::tls::Identity;

use super::*;
use crate::api::Command;
use crate::core::locate::{COLLECT, COLLECT_PINNED};
use crate::core::{Pinned, PING_TIMEOUT, REPROBE};

/// The addresses of the `Connect` among `actions`, if there is one.
fn dialled(actions: &[Action]) -> Option<Vec<SocketAddr>> {
    actions.iter().find_map(|a| match a {
        Action::Connect(targets) => Some(targets.iter().map(|t| t.addr).collect()),
        _ => None,
    })
}

fn unknown_reported(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::CoordinatorUnknown { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn saved_pins(actions: &[Action]) -> Pins {
    let saved: Vec<&Pins> = actions
        .iter()
        .filter_map(|a| match a {
            Action::SavePins(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(saved.len(), 1, "{actions:?}");
    saved[0].clone()
}

#[test]
fn probes_at_start_and_again_every_second_while_nobody_answers() {
    let mut h = Harness::discovering(Pins::default());
    assert_eq!(h.events(), [Event::Discovering]);
    assert_eq!(h.actions(), [Action::Probe]);
    h.advance(REPROBE - Duration::from_millis(1));
    assert_eq!(h.actions(), []);
    h.advance(Duration::from_millis(1));
    assert_eq!(h.actions(), [Action::Probe]);
    h.wait_for_deadline();
    assert_eq!(h.actions(), [Action::Probe]);
}

#[test]
fn a_first_contact_is_reported_and_used_only_once_the_person_accepts_it() {
    let mut h = Harness::discovering(Pins::default());
    h.actions();
    h.beacon(announce(5, "late", 200, fp("late")));
    h.beacon(announce(3, "early", 100, fp("early")));
    h.advance(COLLECT);
    assert_eq!(
        dialled(&h.actions()),
        None,
        "nothing unknown is used silently"
    );
    assert_eq!(unknown_reported(&h.events()), ["early", "late"]);
    // Waiting, then probing again: reported once only.
    h.wait_for_deadline();
    h.beacon(announce(3, "early", 100, fp("early")));
    h.advance(COLLECT);
    assert!(unknown_reported(&h.events()).is_empty());

    h.command(Command::AcceptFingerprint {
        name: "late".into(),
        fingerprint: fp("late"),
    });
    h.actions();
    h.beacon(announce(3, "early", 100, fp("early")));
    h.beacon(announce(5, "late", 200, fp("late")));
    h.advance(COLLECT_PINNED);
    assert_eq!(dialled(&h.actions()), Some(vec![announced_at(5)]));
}

#[test]
fn trusting_the_first_contact_takes_the_earliest_start_then_the_lowest_id_but_only_when_nothing_is_pinned(
) {
    let mut config = config(None);
    config.trust_first_contact = true;
    let mut h = Harness::with(config.clone(), Pins::default());
    h.actions();
    h.beacon(announce(5, "late", 200, fp("late")));
    h.beacon(announce(9, "early-9", 100, fp("e9")));
    h.beacon(announce(3, "early-3", 100, fp("e3")));
    h.advance(COLLECT);
    assert_eq!(dialled(&h.actions()), Some(vec![announced_at(3)]));
    let frames = h.open();
    assert!(frames.is_empty());
    let events = h.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::CoordinatorFound { name, first_use: true, .. } if name == "early-3")));

    // With a pin, a new coordinator is never taken silently, whatever its start time.
    let mut h = Harness::with(config, pinned("office", fp("real"), None));
    h.actions();
    h.beacon(announce(1, "office-2", 1, fp("rogue")));
    h.advance(COLLECT);
    assert_eq!(dialled(&h.actions()), None);
    assert_eq!(unknown_reported(&h.events()), ["office-2"]);
}

/// Finding 1: a genuine coordinator under a new name, claiming an earlier start, is not used
/// by a client that pinned the real one.
#[test]
fn the_pinned_coordinator_is_used_whatever_other_coordinators_claim() {
    let mut h = Harness::discovering(pinned("fileserver", fp("real"), None));
    h.actions();
    h.beacon(announce(1, "fileserver-2", 1, fp("rogue")));
    h.beacon(announce(2, "fileserver", 500, fp("real")));
    h.advance(COLLECT_PINNED);
    assert_eq!(dialled(&h.actions()), Some(vec![announced_at(2)]));
    assert_eq!(unknown_reported(&h.events()), ["fileserver-2"]);
    h.open();
    let events = h.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::CoordinatorFound { name, first_use: false, fingerprint, .. }
            if name == "fileserver" && *fingerprint == fp("real"))));
}

/// Finding 3: forged announcements with the real fingerprint and a dead address are raced
/// after the last address that worked; nothing in a beacon decides where we connect.
#[test]
fn the_last_address_that_worked_is_tried_first_then_every_announced_one() {
    let mut h = Harness::discovering(pinned("office", fp("real"), Some("10.0.0.5:7117")));
    h.actions();
    h.beacon(announce(66, "office", 1, fp("real"))); // forged address
    h.beacon(announce(2, "office", 900, fp("real")));
    h.advance(COLLECT_PINNED);
    assert_eq!(
        dialled(&h.actions()),
        Some(vec![
            "10.0.0.5:7117".parse().unwrap(),
            announced_at(66),
            announced_at(2)
        ])
    );
    // The genuine one answers at its announced address: that is remembered for next time.
    let frames = h.open_with(2, Vec::new());
    assert!(frames.is_empty());
    let pins = saved_pins(&h.actions());
    assert_eq!(
        pins.entry(&fp("real")).unwrap().last_addr,
        Some(announced_at(2))
    );
}

#[test]
fn with_nobody_answering_a_pinned_client_tries_the_last_address_that_worked() {
    let mut h = Harness::discovering(pinned("office", fp("real"), Some("10.0.0.5:7117")));
    h.actions();
    h.advance(REPROBE);
    assert_eq!(
        dialled(&h.actions()),
        Some(vec!["10.0.0.5:7117".parse().unwrap()])
    );
}

#[test]
fn a_new_key_under_a_pinned_name_is_only_asked_for_its_rollover_and_refused_without_one() {
    let mut h = Harness::discovering(pinned("office", fp("real"), None));
    h.actions();
    h.beacon(announce(1, "office", 10, fp("impostor")));
    h.advance(COLLECT);
    assert_eq!(dialled(&h.actions()), Some(vec![announced_at(1)]));
    let mut h2 = h;
    h2.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    let frames = h2.open();
    assert_eq!(frames, [], "no login and no token for an unproven key");
    let events = h2.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::FingerprintChanged { offered, .. } if *offered == fp("impostor"))));
    assert!(events.iter().any(|e| matches!(e,
        Event::Error { message, .. } if message.contains(&fp("real").short()))));
    assert!(h2.actions().contains(&Action::Close));
    assert!(!h2.core.pins().is_pinned(&fp("impostor")));
    // Not asked again.
    h2.wait_for_deadline();
    h2.actions();
    h2.beacon(announce(1, "office", 10, fp("impostor")));
    h2.advance(COLLECT);
    assert_eq!(dialled(&h2.actions()), None);
}

#[test]
fn a_key_handed_over_by_the_pinned_one_is_pinned_instead_and_used() {
    let old = Identity::generate().unwrap();
    let new = Identity::generate().unwrap();
    let statement = Rollover::sign(old.cert_der(), old.key_der(), new.fingerprint()).unwrap();
    let mut h = Harness::discovering(pinned("office", old.fingerprint(), None));
    h.actions();
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    h.beacon(announce(1, "office", 10, new.fingerprint()));
    h.advance(COLLECT);
    let frames = h.open_with(0, vec![statement]);
    assert!(
        matches!(
            frames[..],
            [ClientFrame {
                request: Request::LoginStart { .. },
                ..
            }]
        ),
        "{frames:?}"
    );
    assert!(h.events().iter().any(|e| matches!(e,
        Event::CoordinatorRolledOver { old: o, new: n, .. }
            if *o == old.fingerprint() && *n == new.fingerprint())));
    let pins = saved_pins(&h.actions());
    assert_eq!(pins.check("office", &new.fingerprint()), Pinned::Same);
    assert!(
        !pins.is_pinned(&old.fingerprint()),
        "the old key is not trusted any more"
    );
}

#[test]
fn a_session_token_is_presented_only_to_the_coordinator_that_issued_it() {
    let mut h = Harness::discovering(pinned("office", fp("a"), None));
    h.actions();
    h.command(Command::AcceptFingerprint {
        name: "other".into(),
        fingerprint: fp("b"),
    });
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    h.beacon(announce(1, "office", 10, fp("a")));
    h.advance(COLLECT_PINNED);
    let frames = h.open();
    h.logged_in(&frames[0], [9; 32], vec![]);
    h.core.handle_connection_lost("gone".into(), h.now);
    h.wait_for_deadline();
    h.actions();
    // Now only the other trusted coordinator answers (after the last address that worked).
    h.beacon(announce(2, "other", 10, fp("b")));
    h.advance(COLLECT_PINNED);
    let frames = h.open_with(1, Vec::new());
    assert!(
        matches!(
            frames[..],
            [ClientFrame {
                request: Request::LoginStart { .. },
                ..
            }]
        ),
        "{frames:?}"
    );
}

/// Finding 2: a forged "restart" announcement does not end a working session; a restart
/// that really happened (the old connection is dead) does, after a short ping.
#[test]
fn a_restart_announcement_is_checked_with_a_ping_before_reconnecting() {
    let mut h = Harness::discovering(pinned("office", fp("real"), None));
    h.actions();
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    h.beacon(announce(1, "office", 100, fp("real")));
    h.advance(COLLECT_PINNED);
    let frames = h.open();
    h.logged_in(&frames[0], [1; 32], vec![]);
    h.actions();
    // Forged: same name, key and address, later start. The connection answers the ping.
    h.beacon(announce(2, "office", 200, fp("real")));
    let ping = h.sent();
    assert!(
        matches!(
            ping[..],
            [ClientFrame {
                request: Request::Ping,
                ..
            }]
        ),
        "{ping:?}"
    );
    h.reply(ping[0].id, Ok(Reply::Ok));
    h.advance(PING_TIMEOUT);
    assert!(
        h.core.is_logged_in(),
        "a forged beacon cannot end the session"
    );
    // A real restart: the old connection is dead, the ping goes unanswered.
    h.beacon(announce(3, "office", 300, fp("real")));
    assert_eq!(h.sent().len(), 1);
    h.advance(PING_TIMEOUT);
    assert!(!h.core.is_logged_in());
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Disconnected { reason, .. } if reason.contains("restarted"))));
}

#[test]
fn a_coordinator_speaking_another_protocol_is_reported_once_and_never_chosen() {
    let mut h = Harness::discovering(pinned("office", fp("a"), None));
    h.actions();
    h.beacon(announce_version(
        1,
        "office",
        10,
        fp("a"),
        PROTOCOL_VERSION + 1,
    ));
    h.beacon(announce_version(
        1,
        "office",
        10,
        fp("a"),
        PROTOCOL_VERSION + 1,
    ));
    h.advance(COLLECT);
    assert_eq!(dialled(&h.actions()), None);
    let errors = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Error { message, .. } if message.contains("protocol")))
        .count();
    assert_eq!(errors, 1);
}

#[test]
fn after_a_shutdown_notice_the_stale_announcement_adds_nothing_and_the_successor_is_raced() {
    let mut h = Harness::discovering(pinned("office", fp("a"), None));
    h.actions();
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    h.beacon(announce(1, "office", 10, fp("a")));
    h.advance(COLLECT_PINNED);
    h.open();
    h.push(lanchat_net::protocol::Event::Shutdown {
        reason: "maintenance".into(),
    });
    h.core.handle_connection_lost("closed".into(), h.now);
    h.wait_for_deadline(); // backoff over: locating again
    h.actions();
    // Its last announcement is still in flight; its successor listens on another port.
    h.beacon(announce(1, "office", 10, fp("a")));
    h.advance(Duration::from_millis(1));
    assert_eq!(
        dialled(&h.actions()),
        None,
        "a retired coordinator does not start a choice"
    );
    h.beacon(announce(2, "office", 900, fp("a")));
    h.advance(COLLECT_PINNED);
    assert_eq!(
        dialled(&h.actions()),
        Some(vec![announced_at(1), announced_at(2)]),
        "the last address that worked first, then the successor"
    );
}

#[test]
fn an_explicit_coordinator_is_pinned_once_greeted_under_the_name_it_gives() {
    let mut h = Harness::explicit();
    assert_eq!(dialled(&h.actions()), Some(vec![explicit_target().addr]));
    h.open();
    let pins = saved_pins(&h.actions());
    assert_eq!(pins.check("office", &fp("coordinator")), Pinned::Same);
}

#[test]
fn a_new_key_the_person_accepts_replaces_the_old_pin_for_that_name() {
    let mut h = Harness::discovering(pinned("office", fp("old"), None));
    h.actions();
    h.beacon(announce(1, "office", 10, fp("new")));
    h.advance(COLLECT);
    // Asked for its rollover statements; it has none.
    h.open();
    h.wait_for_deadline();
    h.actions();
    h.command(Command::AcceptFingerprint {
        name: "office".into(),
        fingerprint: fp("new"),
    });
    h.actions();
    h.beacon(announce(1, "office", 10, fp("new")));
    h.advance(COLLECT_PINNED);
    h.open();
    let pins = saved_pins(&h.actions());
    assert_eq!(pins.check("office", &fp("new")), Pinned::Same);
    assert!(!pins.is_pinned(&fp("old")), "both keys would stay trusted");
}

/// A client greeted before the person typed a login does not hold a not-logged-in connection
/// open (the coordinator would close it at its login deadline, and it takes one of the few
/// slots an address has): it closes it, and reconnects once there is a login.
#[test]
fn a_client_with_nothing_to_log_in_with_does_not_hold_the_connection_open() {
    let mut h = Harness::explicit();
    assert!(h.open().is_empty());
    let actions = h.actions();
    assert!(actions.contains(&Action::Close), "{actions:?}");
    assert_eq!(h.core.poll_timeout(), None, "nothing to wait for");
    assert!(
        !h.events()
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. })),
        "not a disconnection the person should hear about"
    );
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    assert_eq!(dialled(&h.actions()), Some(vec![explicit_target().addr]));
    let frames = h.open();
    assert!(
        matches!(
            frames[..],
            [ClientFrame {
                request: Request::LoginStart { .. },
                ..
            }]
        ),
        "{frames:?}"
    );
}
