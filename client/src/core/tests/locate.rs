//! Finding the coordinator: probing, collecting answers, the order every client uses, pins.
use super::*;
use crate::api::Command;
use crate::core::{COLLECT, REPROBE};

fn connects_to(actions: &[Action]) -> Option<SocketAddr> {
    actions.iter().find_map(|a| match a {
        Action::Connect(target) => Some(target.addr),
        _ => None,
    })
}

fn port_of(id: u64) -> u16 {
    7000 + (id % 1000) as u16
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
fn chooses_the_earliest_start_then_the_lowest_id_after_collecting_answers() {
    let mut h = Harness::discovering(Pins::default());
    h.actions();
    h.beacon(announce(5, "late", 200, fp("late")));
    h.advance(COLLECT / 2);
    h.beacon(announce(9, "early-9", 100, fp("e9")));
    h.beacon(announce(3, "early-3", 100, fp("e3")));
    assert_eq!(connects_to(&h.actions()), None, "still collecting");
    h.advance(COLLECT / 2);
    let actions = h.actions();
    assert_eq!(
        connects_to(&actions),
        Some(SocketAddr::new("192.0.2.10".parse().unwrap(), port_of(3)))
    );
    let found = h.events();
    assert!(
        matches!(&found[..], [Event::Discovering, Event::CoordinatorFound { name, first_use: true, .. }] if name == "early-3"),
        "{found:?}"
    );
}

#[test]
fn a_changed_fingerprint_is_refused_once_and_the_pinned_coordinator_taken() {
    let mut pins = Pins::default();
    pins.insert("office", &fp("real"));
    let mut h = Harness::discovering(pins);
    h.actions();
    // A forger claims the name with an earlier start; the real one answers too.
    h.beacon(announce(1, "office", 10, fp("forged")));
    h.beacon(announce(2, "office", 500, fp("real")));
    h.advance(COLLECT);
    assert_eq!(
        connects_to(&h.actions()),
        Some(SocketAddr::new("192.0.2.10".parse().unwrap(), port_of(2)))
    );
    let events = h.events();
    let changed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::FingerprintChanged { .. }))
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert!(events.iter().any(|e| matches!(e,
        Event::Error { message, .. } if message.contains(&fp("real").short()) && message.contains(&fp("forged").short()))));
    assert!(events.iter().any(
        |e| matches!(e, Event::CoordinatorFound { first_use: false, fingerprint, .. } if *fingerprint == fp("real"))
    ));
}

#[test]
fn only_refused_coordinators_heard_means_waiting_and_probing_again_warning_once() {
    let mut pins = Pins::default();
    pins.insert("office", &fp("real"));
    let mut h = Harness::discovering(pins);
    h.actions();
    for round in 0..3 {
        h.beacon(announce(1, "office", 10, fp("forged")));
        h.advance(COLLECT);
        assert_eq!(connects_to(&h.actions()), None, "round {round}");
        // Waiting a second, then probing again.
        h.wait_for_deadline();
        assert_eq!(h.actions(), [Action::Probe], "round {round}");
    }
    let warnings = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::FingerprintChanged { .. }))
        .count();
    assert_eq!(warnings, 1);
}

#[test]
fn an_accepted_new_fingerprint_is_used_and_pinned_after_the_handshake() {
    let mut pins = Pins::default();
    pins.insert("office", &fp("old"));
    let mut h = Harness::discovering(pins);
    h.actions();
    h.command(Command::AcceptFingerprint {
        name: "office".into(),
        fingerprint: fp("new"),
    });
    h.beacon(announce(1, "office", 10, fp("new")));
    h.advance(COLLECT);
    assert!(connects_to(&h.actions()).is_some());
    h.open();
    assert_eq!(
        saved_pins(&h.actions()).check("office", &fp("new")),
        crate::core::Pinned::Same
    );
}

/// The pins of the one `SavePins` action among `actions`.
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
fn a_discovered_coordinator_is_pinned_once_greeted_and_an_explicit_one_never() {
    let mut h = Harness::discovering(Pins::default());
    h.actions();
    h.beacon(announce(1, "office", 10, fp("real")));
    h.advance(COLLECT);
    h.actions();
    h.core.handle_connected(h.now);
    let hello = h.sent();
    assert!(
        !h.actions().iter().any(|a| matches!(a, Action::SavePins(_))),
        "not pinned before the Welcome"
    );
    h.reply(
        hello[0].id,
        Ok(Reply::Welcome {
            version: PROTOCOL_VERSION,
            name: "office".into(),
        }),
    );
    assert_eq!(
        saved_pins(&h.actions()).check("office", &fp("real")),
        crate::core::Pinned::Same
    );

    let mut h = Harness::explicit();
    h.open();
    assert!(!h.actions().iter().any(|a| matches!(a, Action::SavePins(_))));
}

#[test]
fn a_coordinator_speaking_another_protocol_is_reported_once_and_never_chosen() {
    let mut h = Harness::discovering(Pins::default());
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
    assert_eq!(connects_to(&h.actions()), None);
    let errors = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Error { message, .. } if message.contains("protocol")))
        .count();
    assert_eq!(errors, 1);
}

#[test]
fn a_coordinator_that_said_it_is_shutting_down_is_not_chosen_again() {
    let mut h = Harness::discovering(Pins::default());
    h.actions();
    h.beacon(announce(1, "office", 10, fp("a")));
    h.advance(COLLECT);
    h.actions();
    h.open();
    h.push(lanchat_net::protocol::Event::Shutdown {
        reason: "maintenance".into(),
    });
    h.core.handle_connection_lost("closed".into(), h.now);
    h.wait_for_deadline(); // backoff over: locating again
    h.actions();
    // Its last announcement is still in flight; its successor starts later.
    h.beacon(announce(1, "office", 10, fp("a")));
    h.beacon(announce(2, "office", 900, fp("a")));
    h.advance(COLLECT);
    assert_eq!(
        connects_to(&h.actions()),
        Some(SocketAddr::new("192.0.2.10".parse().unwrap(), port_of(2)))
    );
}
