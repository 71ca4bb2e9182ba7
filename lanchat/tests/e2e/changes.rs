//! Messages that can change (issue 13), against real coordinator processes: an edit and a
//! delete reach a client that was offline, the deleted text leaves the database file and its
//! write-ahead log, reactions and mentions survive a restart, typing and read receipts pass
//! between clients.
use lanchat_client::{Command, Event};
use lanchat_net::protocol::{ChangeKind, ChatMessage, MsgId, Setting};

use crate::support::*;

fn changed(c: &mut Client, what: &str, mut pick: impl FnMut(&ChatMessage) -> bool) -> ChatMessage {
    c.wait(what, |e| match e {
        Event::Changed { message, .. } if pick(message) => Some(message.clone()),
        _ => None,
    })
}

fn acked(c: &mut Client, id: MsgId) -> u64 {
    c.wait("ack", |e| match e {
        Event::Sent { id: i, seq, .. } if *i == id => Some(*seq),
        _ => None,
    })
}

/// The test: "an edit and a delete reach a client that was offline at the time".
/// bob reads two messages and quits; alice edits one and deletes the other; bob's client
/// starts again, logs in and gets both changes, in order, once.
#[test]
fn an_edit_and_a_delete_reach_a_client_that_was_offline_at_the_time() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let first = alice.say_acked(&general(), "standup at 9");
    let second = alice.say_acked(&general(), "the wifi password is hunter2");
    bob.wait_message("the wifi password is hunter2");
    bob.send(Command::MarkRead {
        conv: general(),
        seq: second,
    });
    bob.wait("read", |e| {
        matches!(e, Event::Done { command } if command == "read").then_some(())
    });
    let data = bob.data;
    drop(bob.engine);

    let id = MsgId::random();
    alice.send(Command::Edit {
        conv: general(),
        target: Some(first),
        text: "standup at 10".into(),
        id,
    });
    acked(&mut alice, id);
    let id = MsgId::random();
    alice.send(Command::Delete {
        conv: general(),
        target: second,
        id,
    });
    acked(&mut alice, id);

    let mut bob = Client::start_in(&lan, "bob", data);
    bob.send(Command::Login {
        username: "bob".into(),
        password: PASSWORD.into(),
    });
    let edit = changed(&mut bob, "the edit", |m| {
        m.change.as_ref().is_some_and(|c| c.target == first)
    });
    assert_eq!(edit.change.unwrap().what, ChangeKind::Edited);
    assert_eq!((edit.text.as_str(), edit.edited), ("standup at 10", true));
    let deletion = changed(&mut bob, "the deletion", |m| {
        m.change.as_ref().is_some_and(|c| c.target == second)
    });
    assert_eq!(deletion.change.unwrap().what, ChangeKind::Deleted);
    assert!(deletion.deleted && deletion.text.is_empty());
    let changes: Vec<u64> = bob
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::Changed { message, backlog } => {
                assert!(backlog, "from the catch-up");
                Some(message.seq)
            }
            Event::Message { message, .. } if message.sender == "alice" => {
                panic!("a message again: {message:?}")
            }
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 2, "once each");
    assert!(changes[0] < changes[1], "in order");
    // History shows the state as it is now.
    bob.send(Command::History {
        conv: general(),
        before: None,
        limit: 50,
    });
    let page = bob.wait("history", |e| match e {
        Event::History { messages, .. } => Some(messages.clone()),
        _ => None,
    });
    let shown: Vec<(u64, &str, bool)> = page
        .iter()
        .filter(|m| m.sender == "alice")
        .map(|m| (m.seq, m.text.as_str(), m.deleted))
        .collect();
    assert_eq!(shown, [(first, "standup at 10", false), (second, "", true)]);
}

/// The issue's test: "a deleted message's text is not in the database file (search the
/// bytes)" — nor in its write-ahead log, nor anything edited away.
#[test]
fn a_deleted_message_leaves_no_text_in_the_database_or_its_log() {
    let (lan, coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    for n in 0..30 {
        alice.say_acked(&general(), &format!("ordinary chatter number {n}"));
    }
    let secret = "quokka-7731-launch-code";
    let edited_away = "wombat-5519-draft";
    let seq = alice.say_acked(&general(), edited_away);
    let id = MsgId::random();
    alice.send(Command::Edit {
        conv: general(),
        target: Some(seq),
        text: secret.into(),
        id,
    });
    acked(&mut alice, id);
    let db = coord.data.join(lanchat_coordinator::config::DB_FILE);
    let files = [db.clone(), db.with_extension("db-wal")];
    let holding = |text: &str| -> Vec<String> {
        files
            .iter()
            .filter(|f| {
                let bytes = std::fs::read(f).unwrap_or_default();
                bytes.windows(text.len()).any(|w| w == text.as_bytes())
            })
            .map(|f| f.display().to_string())
            .collect()
    };
    assert!(
        !holding(secret).is_empty(),
        "the test reads the right files"
    );
    let id = MsgId::random();
    alice.send(Command::Delete {
        conv: general(),
        target: seq,
        id,
    });
    acked(&mut alice, id);
    // The coordinator empties its log at once, or as soon as no read holds it (a bounded
    // wait: an absence).
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let left: Vec<String> = [secret, edited_away, "quokka", "wombat"]
            .iter()
            .flat_map(|t| holding(t))
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deleted text still in {left:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Nothing else was lost, and search has forgotten it.
    alice.send(Command::Search("quokka".into()));
    alice.wait("search", |e| match e {
        Event::SearchResults { messages, .. } => messages.is_empty().then_some(()),
        _ => None,
    });
    alice.send(Command::Search("chatter".into()));
    alice.wait("search", |e| match e {
        Event::SearchResults { messages, .. } => (messages.len() == 30).then_some(()),
        _ => None,
    });
}

/// The test: "reactions and mentions survive a coordinator restart".
#[test]
fn reactions_and_mentions_survive_a_coordinator_restart() {
    let (lan, coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut carol = Client::register(&lan, "carol");
    let bob = Client::register(&lan, "bob");
    // bob is away (a reaction of his would say he read it).
    let bob_data = bob.data;
    drop(bob.engine);
    let seq = alice.say_acked(&general(), "@bob can you review?");
    for who in [&mut alice, &mut carol] {
        let id = MsgId::random();
        who.send(Command::React {
            conv: general(),
            target: seq,
            emoji: "👀".into(),
            id,
        });
        acked(who, id);
    }
    let coord = coord.restart();
    let _ = &coord;
    let mut bob = Client::start_in(&lan, "bob", bob_data);
    bob.send(Command::Login {
        username: "bob".into(),
        password: PASSWORD.into(),
    });
    let summary = bob.wait("login", |e| match e {
        Event::LoggedIn { conversations, .. } => {
            conversations.iter().find(|s| s.conv == general()).cloned()
        }
        _ => None,
    });
    assert_eq!(summary.mentions, 1, "{summary:?}");
    bob.send(Command::History {
        conv: general(),
        before: None,
        limit: 50,
    });
    let m = bob.wait("history", |e| match e {
        Event::History { messages, .. } => messages
            .iter()
            .find(|m| m.text == "@bob can you review?")
            .cloned(),
        _ => None,
    });
    assert_eq!(m.mentions, ["bob"]);
    assert!(m.mentions_user("bob"));
    let counts: Vec<(String, u32)> = m
        .reactions
        .iter()
        .map(|r| (r.emoji.clone(), r.count))
        .collect();
    assert_eq!(counts, [("👀".to_string(), 2)]);
}

/// Typing indicators and read receipts pass between clients, and stop when turned off.
#[test]
fn typing_and_read_receipts_reach_the_other_person_and_stop_when_off() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let seq = alice.say_acked(&dm("bob"), "are you there?");
    bob.wait_message("are you there?");
    bob.send(Command::Typing(dm("alice")));
    alice.wait("typing", |e| {
        matches!(e, Event::Typing { conv, user } if *conv == dm("bob") && user == "bob")
            .then_some(())
    });
    bob.send(Command::MarkRead {
        conv: dm("alice"),
        seq,
    });
    alice.wait("seen", |e| {
        matches!(e, Event::Seen { conv, seq: s, .. } if *conv == dm("bob") && *s == seq)
            .then_some(())
    });
    // bob turns both off: alice hears neither, and bob is told his settings.
    for setting in [Setting::Typing, Setting::Receipts] {
        bob.send(Command::SetSetting { setting, on: false });
    }
    bob.wait("settings", |e| match e {
        Event::Settings(s) => (!s.typing && !s.receipts).then_some(()),
        _ => None,
    });
    let next = alice.say_acked(&dm("bob"), "hello?");
    bob.wait_message("hello?");
    bob.send(Command::MarkRead {
        conv: dm("alice"),
        seq: next,
    });
    bob.wait("read", |e| {
        matches!(e, Event::Done { command } if command == "read").then_some(())
    });
    // An absence: a marker alice waits for shows anything before it would have come.
    let marker = bob.say_acked(&dm("alice"), "marker");
    alice.wait("marker", |e| match e {
        Event::Message { message, .. } if message.seq == marker => Some(()),
        _ => None,
    });
    assert!(
        !alice
            .seen
            .iter()
            .any(|e| matches!(e, Event::Seen { seq: s, .. } if *s >= next)),
        "no receipt once off"
    );
    let summary = {
        alice.send(Command::Summaries);
        alice.wait("summaries", |e| match e {
            Event::Summaries(list) => list.iter().find(|s| s.conv == dm("bob")).cloned(),
            _ => None,
        })
    };
    assert_eq!(summary.peer_read, None);
}
