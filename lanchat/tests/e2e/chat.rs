//! #general among three users, direct messages (also to someone offline), presence, search,
//! mute, limits.
use lanchat_client::{Command, Event};
use lanchat_net::protocol::{ErrorCode, MessageKind, PresenceStatus, MAX_TEXT_BYTES};

use crate::support::*;

#[test]
fn general_among_three_users() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let mut carol = Client::register(&lan, "carol");

    let seq = alice.say_acked(&general(), "good morning");
    for c in [&mut bob, &mut carol] {
        let m = c.wait_message("good morning");
        assert_eq!(m.sender, "alice", "the sender comes from the session");
        assert_eq!(m.seq, seq);
        assert_eq!(m.kind, MessageKind::Text);
        assert!(m.ts_ms > 0);
    }
    bob.say_acked(&general(), "morning!");
    carol.say(&general(), "hi both");
    for c in [&mut alice, &mut bob, &mut carol] {
        c.wait_message("hi both");
    }
    // Everyone saw the same sequence with no gaps.
    let order = |c: &Client| -> Vec<String> {
        c.messages()
            .into_iter()
            .filter(|m| m.conv == general() && m.kind == MessageKind::Text)
            .map(|m| m.text)
            .collect()
    };
    assert_eq!(order(&alice), ["good morning", "morning!", "hi both"]);
    assert_eq!(order(&alice), order(&carol));
}

#[test]
fn direct_message_to_offline_user_arrives_at_login_with_unread_count() {
    let (lan, _coord, _dir) = office();
    let bob = Client::register(&lan, "bob");
    drop(bob); // bob goes offline
    let mut alice = Client::register(&lan, "alice");
    alice.say_acked(&dm("bob"), "are you there?");
    alice.say_acked(&dm("bob"), "call me when you are back");

    let (mut bob, convs) = Client::login(&lan, "bob");
    let summary = convs
        .iter()
        .find(|s| s.conv == dm("alice"))
        .expect("bob sees the conversation with alice");
    assert_eq!(summary.unread, 2);
    let first = bob.wait_message("are you there?");
    assert_eq!(first.conv, dm("alice"));
    bob.wait_message("call me when you are back");
    assert!(bob
        .seen
        .iter()
        .any(|e| matches!(e, Event::Message { backlog: true, .. })));

    // DM to someone who does not exist is a clear error.
    alice.say(&dm("nobody"), "hello?");
    let (code, message) = alice.wait_error("send");
    assert_eq!(code, Some(ErrorCode::NoSuchUser));
    assert!(message.contains("nobody"), "{message}");
}

#[test]
fn presence_away_and_back() {
    let (lan, _coord, _dir) = office();
    let alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.send(Command::SetAway(true));
    bob.wait("away", |e| match e {
        Event::Presence(u) if u.username == "alice" && u.status == PresenceStatus::Away => Some(()),
        _ => None,
    });
    alice.send(Command::SetAway(false));
    bob.wait("back", |e| match e {
        Event::Presence(u) if u.username == "alice" && u.status == PresenceStatus::Online => {
            Some(())
        }
        _ => None,
    });
    bob.send(Command::Users);
    let users = bob.wait("users", |e| match e {
        Event::Users(u) => Some(u.clone()),
        _ => None,
    });
    assert_eq!(users.len(), 2);
    drop(alice);
    bob.wait("leave", |e| match e {
        Event::Presence(u) if u.username == "alice" && u.status == PresenceStatus::Offline => {
            Some(())
        }
        _ => None,
    });
}

#[test]
fn search_mute_and_limits() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.say_acked(&general(), "the quarterly report is ready");
    alice.say_acked(&dm("bob"), "secret report for bob");
    bob.say_acked(&general(), "unrelated");

    let mut carol = Client::register(&lan, "carol");
    carol.send(Command::Search("report".into()));
    let found = carol.wait("search", |e| match e {
        Event::SearchResults { messages, .. } => Some(messages.clone()),
        _ => None,
    });
    assert_eq!(
        found.len(),
        1,
        "carol cannot see alice and bob's DM: {found:?}"
    );
    bob.send(Command::Search("report".into()));
    let found = bob.wait("search", |e| match e {
        Event::SearchResults { messages, .. } => Some(messages.clone()),
        _ => None,
    });
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].text, "secret report for bob", "newest first");

    bob.send(Command::SetMuted {
        conv: general(),
        muted: true,
    });
    bob.wait("muted", |e| match e {
        Event::ConvState(s) if s.conv == general() && s.muted => Some(()),
        _ => None,
    });
    drop(bob);
    let (_bob, convs) = Client::login(&lan, "bob");
    assert!(
        convs.iter().any(|s| s.conv == general() && s.muted),
        "mute follows the user"
    );

    alice.say(&general(), &"x".repeat(MAX_TEXT_BYTES + 1));
    let (code, message) = alice.wait_error("send");
    assert_eq!(code, Some(ErrorCode::TooLarge));
    assert!(message.contains("16384"), "{message}");
}

#[test]
fn history_scrollback_and_unread_survive_client_restart() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let bob = Client::register(&lan, "bob");
    drop(bob);
    for i in 0..60 {
        alice.say(&general(), &format!("line {i}"));
    }
    alice.wait_message("line 59");
    let (mut bob, convs) = Client::login(&lan, "bob");
    let general_summary = convs.iter().find(|s| s.conv == general()).unwrap();
    assert_eq!(general_summary.unread, 60);
    // Catch-up pages past the 50-message page limit, in order, exactly once.
    bob.wait_message("line 59");
    let texts: Vec<String> = bob.messages().into_iter().map(|m| m.text).collect();
    let expected: Vec<String> = (0..60).map(|i| format!("line {i}")).collect();
    assert_eq!(texts, expected);
    bob.send(Command::History {
        conv: general(),
        before: Some(11),
        limit: 5,
    });
    let page = bob.wait("history", |e| match e {
        Event::History { messages, .. } => Some(messages.clone()),
        _ => None,
    });
    let seqs: Vec<u64> = page.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [6, 7, 8, 9, 10]);
}
