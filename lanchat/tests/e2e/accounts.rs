//! Register, refuse duplicates and weak passwords, refuse wrong passwords, change password.
use lanchat_client::{Command, Event};
use lanchat_net::protocol::ErrorCode;

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
