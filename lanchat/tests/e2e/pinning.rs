//! Trust on first use, and a changed coordinator identity refused with both fingerprints.
use lanchat_client::{Command, Engine, EngineConfig, Event, Target};
use lanchat_net::fingerprint::Pin;

use crate::support::*;

#[test]
fn changed_fingerprint_is_refused_unless_accepted() {
    let (lan, mut coord, dir) = office();
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_path_buf();
    let mut alice = Client::start_in(&lan, "alice", data);
    let first = alice.wait("found", |e| match e {
        Event::CoordinatorFound {
            fingerprint,
            first_use,
            ..
        } => Some((*fingerprint, *first_use)),
        _ => None,
    });
    assert!(first.1, "first contact is reported as such");
    alice.send(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    alice.ready();
    let known = std::fs::read_to_string(data_path.join("known_coordinators")).unwrap();
    assert!(known.contains(&first.0.full_hex()), "{known}");
    let keep = alice.data;
    drop(alice.engine);

    // Same name, new identity (as if someone else took over the name).
    coord.stop();
    for f in ["identity-cert.der", "identity-key.der"] {
        std::fs::remove_file(coord.data.join(f)).unwrap();
    }
    let coord = CoordinatorProcess::start(&lan, &dir.path().join("coord"), "test-office");
    let mut again = Client::start_in(&lan, "alice", keep);
    let (pinned, offered) = again.wait("fingerprint changed", |e| match e {
        Event::FingerprintChanged {
            pinned, offered, ..
        } => Some((pinned.clone(), *offered)),
        _ => None,
    });
    assert_eq!(pinned, first.0.short());
    assert_ne!(offered, first.0);
    let message = again.wait("refusal", |e| match e {
        Event::Error { message, .. } => Some(message.clone()),
        Event::Connected { .. } => panic!("connected to a coordinator with a changed fingerprint"),
        _ => None,
    });
    assert!(
        message.contains(&pinned) && message.contains(&offered.short()),
        "{message}"
    );

    // The person accepts the new fingerprint: now it connects and re-pins.
    again.send(Command::AcceptFingerprint {
        name: "test-office".into(),
        fingerprint: offered,
    });
    again.wait("connected", |e| {
        matches!(e, Event::Connected { .. }).then_some(())
    });
    let known = std::fs::read_to_string(data_path.join("known_coordinators")).unwrap();
    assert!(known.contains(&coord.fingerprint), "{known}");
}

#[test]
fn explicit_address_with_wrong_fingerprint_never_logs_in() {
    let (_lan, coord, _dir) = office();
    let data = tempfile::tempdir().unwrap();
    let wrong: Pin = "00112233445566778899aabbccddeeff".parse().unwrap();
    let engine = Engine::start(EngineConfig {
        data_dir: data.path().to_path_buf(),
        discovery: None,
        coordinator: Some(Target {
            addr: coord.addr,
            pin: wrong,
        }),
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        client_name: "test".into(),
        peer_listen: None,
    })
    .unwrap();
    engine.send(Command::Login {
        username: "x".into(),
        password: PASSWORD.into(),
    });
    let reason = loop {
        match engine.events().recv_timeout(PATIENCE).expect("an event") {
            Event::Disconnected { reason, .. } => break reason,
            Event::Connected { .. } | Event::LoggedIn { .. } => {
                panic!("accepted a wrong certificate")
            }
            _ => {}
        }
    };
    assert!(reason.contains("does not match the pinned"), "{reason}");

    // The right fingerprint (short form, as printed) works.
    let right: Pin = coord.fingerprint[..32].parse().unwrap();
    let engine = Engine::start(EngineConfig {
        data_dir: data.path().to_path_buf(),
        discovery: None,
        coordinator: Some(Target {
            addr: coord.addr,
            pin: right,
        }),
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        client_name: "test".into(),
        peer_listen: None,
    })
    .unwrap();
    loop {
        if let Event::Connected { .. } = engine.events().recv_timeout(PATIENCE).expect("an event") {
            break;
        }
    }
}
