//! Register, refuse duplicates, look-alikes and weak passwords, refuse wrong passwords, change
//! password, display names that cannot pass for someone else.
use lanchat_client::{Command, Event};
use lanchat_net::protocol::{ErrorCode, PresenceStatus};

use crate::support::*;

#[test]
fn register_login_and_refusals() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    drop(alice.engine);

    // The same name in another case is taken.
    let mut dup = Client::start(&lan, "dup");
    dup.send(Command::Register {
        username: "ALICE".into(),
        password: PASSWORD.into(),
    });
    let (code, message) = dup.wait_error("register");
    assert_eq!(code, Some(ErrorCode::UsernameTaken));
    assert!(message.contains("already taken"), "{message}");

    // A weak password is refused with the reason.
    let mut weak = Client::start(&lan, "weak");
    weak.send(Command::Register {
        username: "bob".into(),
        password: "short".into(),
    });
    let (code, message) = weak.wait_error("register");
    assert_eq!(code, Some(ErrorCode::WeakPassword));
    assert!(message.contains("at least 10"), "{message}");

    // A wrong password and an unknown user get the same answer.
    let mut wrong = Client::start(&lan, "wrong");
    wrong.send(Command::Login {
        username: "alice".into(),
        password: "not the right one".into(),
    });
    let (code, wrong_message) = wrong.wait_error("login");
    assert_eq!(code, Some(ErrorCode::AuthFailed));
    let mut ghost = Client::start(&lan, "ghost");
    ghost.send(Command::Login {
        username: "nobody".into(),
        password: PASSWORD.into(),
    });
    let (code, ghost_message) = ghost.wait_error("login");
    assert_eq!(code, Some(ErrorCode::AuthFailed));
    assert_eq!(wrong_message, ghost_message);

    // The right password works, case-insensitively on the name; then change it.
    alice = Client::start(&lan, "alice");
    alice.send(Command::Login {
        username: "Alice".into(),
        password: PASSWORD.into(),
    });
    alice.ready();
    alice.send(Command::ChangePassword {
        old: "wrong old password".into(),
        new: "a brand new secret".into(),
    });
    let (code, _) = alice.wait_error("passwd");
    assert_eq!(code, Some(ErrorCode::AuthFailed));
    alice.send(Command::ChangePassword {
        old: PASSWORD.into(),
        new: "a brand new secret".into(),
    });
    alice.wait("passwd ok", |e| {
        matches!(e, Event::Done { command } if command == "passwd").then_some(())
    });
    let mut again = Client::start(&lan, "again");
    again.send(Command::Login {
        username: "alice".into(),
        password: "a brand new secret".into(),
    });
    again.ready();
}

#[test]
fn display_name_change_reaches_others() {
    let (lan, _coord, _dir) = office();
    let alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.send(Command::SetDisplay("Alice Liddell".into()));
    bob.wait("display name", |e| match e {
        Event::Presence(u) if u.username == "alice" && u.display == "Alice Liddell" => Some(()),
        _ => None,
    });
    alice.say(&general(), "hello");
    let m = bob.wait_message("hello");
    assert_eq!(m.sender_display, "Alice Liddell");
}

/// Issue 12, finding 8: "`/nick alice` is accepted …; a display name with a right-to-left
/// override is accepted; `aIice` (capital I) registers beside `alice`". Against a real
/// coordinator: every attempt is refused with the reason, nobody hears of it, and the honest
/// name that follows reaches the others with the username beside it.
#[test]
fn nobody_can_pose_as_a_colleague() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");

    for fake in ["aIice", "a1ice", "ALICE"] {
        let mut impostor = Client::start(&lan, "impostor");
        impostor.send(Command::Register {
            username: fake.into(),
            password: PASSWORD.into(),
        });
        let (code, message) = impostor.wait_error("register");
        assert_eq!(code, Some(ErrorCode::UsernameTaken), "{fake}: {message}");
        let says = if fake == "ALICE" {
            "already taken"
        } else {
            "looks like the existing user alice"
        };
        assert!(message.contains(says), "{fake}: {message}");
    }

    let mut bob = Client::register(&lan, "bob");
    let attempts = [
        ("alice", "looks like the existing user alice"),
        ("Alice", "looks like the existing user alice"),
        ("\u{0430}lice", "looks like the existing user alice"),
        ("Bob \u{202E}nimda", "U+202E"),
        ("ali\u{200B}ce", "U+200B"),
        ("Alice (@alice)", "'@'"),
    ];
    for (display, says) in attempts {
        bob.send(Command::SetDisplay(display.into()));
        let (code, message) = bob.wait_error("nick");
        assert_eq!(code, Some(ErrorCode::InvalidName), "{display:?}: {message}");
        assert!(message.contains(says), "{display:?}: {message}");
    }
    bob.send(Command::SetDisplay("Bob Smith".into()));
    let heard = alice.wait("bob's display name", |e| match e {
        Event::Presence(u) if u.username == "bob" && u.status == PresenceStatus::Online => {
            (u.display != "bob").then(|| u.display.clone())
        }
        _ => None,
    });
    // The first display name alice heard of is the honest one: no refused one got through.
    assert_eq!(heard, "Bob Smith");
    bob.say(&general(), "it's me");
    let m = alice.wait_message("it's me");
    assert_eq!(
        (m.sender.as_str(), m.sender_display.as_str()),
        ("bob", "Bob Smith")
    );
    assert_eq!(
        lanchat_ui_model::format::person(&m.sender, &m.sender_display),
        "Bob Smith (@bob)"
    );
}

/// An account from before OPAQUE (only an Argon2 hash in the database) logs in as always on a
/// client that knew the coordinator, and is an OPAQUE account from then on; the client
/// remembers that, beside its pins.
#[test]
fn a_legacy_account_is_upgraded_at_its_next_login_without_the_user_noticing() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("coord");
    legacy_accounts(&data, &["carol".to_string()]);
    let coord = CoordinatorProcess::start(&lan, &data, "test-office");
    // An earlier run of carol's client pinned the coordinator (as a user of the old version).
    let earlier = Client::register(&lan, "dave");
    let Client { engine, data, .. } = earlier;
    drop(engine);
    let mut carol = Client::start_in(&lan, "carol", data);
    carol.send(Command::Login {
        username: "carol".into(),
        password: PASSWORD.into(),
    });
    carol.ready();
    assert!(
        !carol.seen.iter().any(|e| matches!(e, Event::Error { .. })),
        "{:?}",
        carol.seen
    );
    let store = lanchat_store::Store::open(&coord.data.join("lanchat.db")).unwrap();
    assert!(matches!(
        store.credential("carol").unwrap(),
        Some((_, lanchat_store::Credential::Opaque(_)))
    ));
    let remembered = std::fs::read_to_string(carol.data.path().join("opaque_logins")).unwrap();
    assert!(remembered.contains(" carol\n"), "{remembered}");
    carol.say_acked(&general(), "upgraded");
}
