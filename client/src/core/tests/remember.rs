//! "Keep me signed in": when the session is kept, resumed, and forgotten; and that a kept
//! token goes to no coordinator but its issuer.
use super::*;
use crate::api::Command;
use crate::core::SavedSession;
use lanchat_net::protocol::ErrorCode;

const TOKEN: [u8; 32] = [7; 32];

fn remembering(coordinator: Option<Target>) -> CoreConfig {
    CoreConfig {
        remember_session: true,
        ..config(coordinator)
    }
}

fn saved(issuer: Fingerprint) -> SavedSession {
    SavedSession {
        username: "alice".into(),
        issuer,
        token: [3; 32],
    }
}

fn saves(actions: &[Action]) -> Vec<&SavedSession> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SaveSession(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn a_login_with_keep_me_signed_in_saves_the_session_with_its_issuer() {
    let mut h = Harness::with(remembering(Some(explicit_target())), Pins::default());
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    let frames = h.open();
    h.logged_in(&frames[0], TOKEN, vec![]);
    let actions = h.actions();
    let kept = saves(&actions);
    assert_eq!(kept.len(), 1, "{actions:?}");
    assert_eq!(kept[0].username, "alice");
    assert_eq!(kept[0].issuer, fp("coordinator"));
    assert_eq!(kept[0].token, TOKEN);
    // Debug output never carries the token.
    assert!(!format!("{:?}", kept[0]).contains("7, 7"));
}

#[test]
fn without_keep_me_signed_in_nothing_is_saved_until_it_is_switched_on() {
    let mut h = Harness::explicit();
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    let frames = h.open();
    h.logged_in(&frames[0], TOKEN, vec![]);
    assert!(saves(&h.actions()).is_empty());
    h.command(Command::RememberSession(true));
    assert_eq!(saves(&h.actions()).len(), 1);
    h.command(Command::RememberSession(false));
    assert!(h.actions().contains(&Action::ForgetSession));
}

#[test]
fn a_kept_session_resumes_without_a_password_at_start() {
    let mut h = Harness::with(remembering(Some(explicit_target())), Pins::default());
    h.core.restore_session(saved(fp("coordinator")));
    let frames = h.open();
    assert!(
        matches!(&frames[..], [ClientFrame { request: Request::Resume { token }, .. }] if *token == [3; 32]),
        "{frames:?}"
    );
    h.logged_in(&frames[0], [3; 32], vec![]);
    assert!(h.core.is_logged_in());
    assert!(
        saves(&h.actions()).is_empty(),
        "the same session is not written again"
    );
}

#[test]
fn a_kept_token_is_never_presented_to_another_coordinator() {
    // The kept token was issued by "coordinator"; this run is sent to an impostor key.
    let impostor = Target {
        addr: "127.0.0.1:7117".parse().unwrap(),
        pin: Pin::exact(fp("impostor")),
    };
    let mut h = Harness::with(remembering(Some(impostor)), Pins::default());
    h.core.restore_session(saved(fp("coordinator")));
    let frames = h.open();
    assert_eq!(
        frames,
        [],
        "nothing but the hello goes to a coordinator that did not issue it"
    );
    // The person logs in with the password instead (the core had parked the connection,
    // having nothing it may present): that works as usual.
    h.command(Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    let frames = h.open();
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
}

#[test]
fn a_refused_kept_session_is_reported_as_resume_and_forgotten() {
    let mut h = Harness::with(remembering(Some(explicit_target())), Pins::default());
    h.core.restore_session(saved(fp("coordinator")));
    let frames = h.open();
    h.reply(
        frames[0].id,
        Err(error(ErrorCode::SessionExpired, "the session has expired")),
    );
    assert!(h.actions().contains(&Action::ForgetSession));
    let events = h.events();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::Error { command: Some(c), .. } if c == "resume")),
        "{events:?}"
    );
    assert!(!h.core.is_logged_in());
    assert_eq!(
        h.sent(),
        [],
        "no password to fall back on: the front end asks for one"
    );
}

#[test]
fn signing_out_forgets_the_kept_session_even_while_offline() {
    let mut h = Harness::with(remembering(Some(explicit_target())), Pins::default());
    h.core.restore_session(saved(fp("coordinator")));
    h.actions();
    h.command(Command::Logout);
    assert!(h.actions().contains(&Action::ForgetSession));
    assert!(h.core.saved_session().is_none());
}
