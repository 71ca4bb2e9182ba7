//! Pinning: a changed coordinator identity refused with both fingerprints, an explicit one, a
//! key rolled over with a statement from the old one, and invites.
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
        hints: Vec::new(),
        client_name: "test".into(),
        peer_listen: None,
        remember_session: false,
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
        hints: Vec::new(),
        client_name: "test".into(),
        peer_listen: None,
        remember_session: false,
    })
    .unwrap();
    loop {
        if let Event::Connected { .. } = engine.events().recv_timeout(PATIENCE).expect("an event") {
            break;
        }
    }
}

/// `lanchat coordinator rotate-key`: a client that pinned the old key follows the hand-over by
/// itself (the old key signed it) and pins the new key instead of the old.
#[test]
fn a_rolled_over_key_is_accepted_by_clients_that_pinned_the_old_one() {
    let (lan, mut coord, dir) = office();
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_path_buf();
    let mut alice = Client::start_in(&lan, "alice", data);
    alice.send(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    alice.ready();
    let keep = alice.data;
    drop(alice.engine);
    let old = coord.fingerprint.clone();

    coord.stop();
    let out = std::process::Command::new(bin())
        .args(["coordinator", "rotate-key", "--data"])
        .arg(&coord.data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let new = printed
        .lines()
        .find_map(|l| l.strip_prefix("new full fingerprint: "))
        .expect("the new fingerprint is printed")
        .to_string();
    assert_ne!(new, old);

    let coord = CoordinatorProcess::start(&lan, &dir.path().join("coord"), "test-office");
    assert_eq!(coord.fingerprint, new);
    let mut again = Client::start_strict(&lan, "alice", keep);
    again.send(Command::Login {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    let (from, to) = again.wait("rolled over", |e| match e {
        Event::CoordinatorRolledOver { old, new, .. } => Some((old.full_hex(), new.full_hex())),
        Event::FingerprintChanged { .. } => panic!("a vouched-for key was refused"),
        _ => None,
    });
    assert_eq!((from, to), (old.clone(), new.clone()));
    again.ready();
    let known = std::fs::read_to_string(data_path.join("known_coordinators")).unwrap();
    assert!(known.contains(&new) && !known.contains(&old), "{known}");
}

/// An invite printed by the coordinator lets a client trust it from the first contact, with
/// nothing pinned and without being told to trust whatever answers first; an invite for
/// another key does not.
#[test]
fn an_invite_is_trusted_from_the_first_contact_and_nothing_else_is() {
    let (lan, coord, _dir) = office();
    assert!(
        coord
            .invite
            .starts_with(&format!("lanchat://{}@", coord.fingerprint)),
        "{}",
        coord.invite
    );
    let invite: lanchat_net::invite::Invite = coord.invite.parse().unwrap();
    let mut invited = Client::start_config("invited", tempfile::tempdir().unwrap(), |dir| {
        EngineConfig {
            data_dir: dir.to_path_buf(),
            discovery: Some(lan.discovery()),
            coordinator: None,
            accept_new_fingerprint: false,
            trust_first_contact: false,
            trusted: vec![Pin::exact(invite.fingerprint)],
            hints: vec![Target {
                addr: invite.addr.unwrap(),
                pin: Pin::exact(invite.fingerprint),
            }],
            client_name: "test-invited".into(),
            peer_listen: None,
            remember_session: false,
        }
    });
    invited.send(Command::Register {
        username: "invited".into(),
        password: PASSWORD.into(),
    });
    invited.ready();

    // The terminal client takes an invite as a flag: the right one logs in, one for another
    // key leaves the coordinator reported as unknown and unused.
    let bot = |user: &str, invite: String| {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(["cli", "--json", "--register", "--user", user, "--invite"])
            .arg(invite)
            .arg("--data")
            .arg(tempfile::tempdir().unwrap().keep())
            .args(lan.flags())
            .env("LANCHAT_PASSWORD", PASSWORD);
        crate::cli::Bot::spawn(cmd)
    };
    let mut carol = bot("carol", coord.invite.clone());
    carol.wait_type("ready");
    let wrong = lanchat_net::invite::Invite {
        fingerprint: lanchat_net::fingerprint::Fingerprint::of_cert(b"not the coordinator"),
        addr: None,
    };
    let mut bob = bot("bob", wrong.to_string());
    let unknown = bob.wait("the coordinator reported as unknown", |v| {
        assert_ne!(v["type"], "connected", "connected without trusting: {v}");
        v["type"] == "coordinator_unknown"
    });
    assert_eq!(unknown["fingerprint"], invite.fingerprint.short());
}
