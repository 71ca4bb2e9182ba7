//! What a conversation can do beyond messages: posts paced by their acknowledgements and
//! kept in order, edits, deletions and reactions reaching clients that were offline or
//! reconnecting (against a real hub), typing notices, rooms deleted and made again.
use super::hub::{explicit_to, register, Office, Peer, NOW_MS};
use super::session::logged_in;
use super::*;
use crate::api::Command;
use crate::core::posts::MAX_POSTS_IN_FLIGHT;
use lanchat_net::protocol::{ChangeKind, TYPING_INTERVAL_MS};

fn line(n: usize) -> Command {
    Command::Send {
        conv: room("general"),
        text: format!("line {n}"),
        id: MsgId::random(),
    }
}

fn sent_texts(frames: &[ClientFrame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match &f.request {
            Request::Send { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn ack(h: &mut Harness, frame: &ClientFrame, seq: u64) {
    let Request::Send { conv, id, .. } = &frame.request else {
        panic!("{frame:?}")
    };
    h.reply(
        frame.id,
        Ok(Reply::Sent {
            conv: conv.clone(),
            id: *id,
            seq,
            ts_ms: 0,
        }),
    );
}

/// 200 lines pasted at once: a window goes out, each acknowledgement lets the next one go,
/// in order; a reconnect in the middle sends the rest, from the oldest unacknowledged, again.
#[test]
fn a_paste_goes_out_a_window_at_a_time_in_order() {
    let mut h = logged_in(vec![]);
    h.sent();
    for n in 0..200 {
        h.command(line(n));
    }
    let first = h.sent();
    assert_eq!(first.len(), MAX_POSTS_IN_FLIGHT);
    assert_eq!(sent_texts(&first)[0], "line 0");
    ack(&mut h, &first[0], 1);
    ack(&mut h, &first[1], 2);
    let next = h.sent();
    let expected: Vec<String> = (MAX_POSTS_IN_FLIGHT..MAX_POSTS_IN_FLIGHT + 2)
        .map(|n| format!("line {n}"))
        .collect();
    assert_eq!(sent_texts(&next), expected);
    // The connection drops with 30 + 2 in flight: they go again after the login, first.
    h.core.handle_connection_lost("network down".into(), h.now);
    h.wait_for_deadline();
    let frames = h.open();
    h.logged_in(&frames[0], [1; 32], vec![]);
    let again = h.sent();
    let texts = sent_texts(&again);
    assert_eq!(texts.len(), MAX_POSTS_IN_FLIGHT);
    assert_eq!(texts[0], "line 2");
    assert!(texts
        .iter()
        .zip(2..)
        .all(|(t, n)| *t == format!("line {n}")));
}

/// Against a real hub: every line of a paste stored once, in order, and the logout typed
/// after it waits for the last acknowledgement.
#[test]
fn a_paste_is_stored_in_order_and_exactly_once_before_the_logout() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    bob.h.events();
    for n in 0..200 {
        alice.h.command(line(n));
    }
    alice.h.command(Command::Logout);
    alice.step(&offices, NOW_MS);
    let events = alice.h.events();
    let acked = events
        .iter()
        .filter(|e| matches!(e, Event::Sent { .. }))
        .count();
    assert_eq!(acked, 200);
    assert_eq!(events.last(), Some(&Event::LoggedOut));
    bob.step(&offices, NOW_MS);
    let got: Vec<String> = Peer::messages(&bob.h.events())
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let expected: Vec<String> = (0..200).map(|n| format!("line {n}")).collect();
    assert_eq!(got, expected);
}

fn changes(events: &[Event]) -> Vec<(u64, ChangeKind, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Changed { message, backlog } => {
                let c = message.change.as_ref()?;
                Some((c.target, c.what.clone(), message.text.clone(), *backlog))
            }
            _ => None,
        })
        .collect()
}

fn say(peer: &mut Peer, offices: &[Office], text: &str) -> u64 {
    let id = MsgId::random();
    peer.h.command(Command::Send {
        conv: room("general"),
        text: text.into(),
        id,
    });
    peer.step(offices, NOW_MS);
    peer.h
        .events()
        .into_iter()
        .find_map(|e| match e {
            Event::Sent { id: i, seq, .. } if i == id => Some(seq),
            _ => None,
        })
        .expect("acknowledged")
}

/// bob's client is not running while alice edits one message and deletes another: when it
/// logs in again (a new process, knowing nothing), both changes come in its catch-up, in
/// order, once, as changes (not as messages).
#[test]
fn an_edit_and_a_delete_reach_a_client_that_was_offline() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    let first = say(&mut alice, &offices, "lunch at noon");
    let second = say(&mut alice, &offices, "my pin is 1234");
    bob.step(&offices, NOW_MS);
    assert_eq!(Peer::messages(&bob.h.events()).len(), 2);
    // Shown, so read (as a front end tells the coordinator).
    bob.h.command(Command::MarkRead {
        conv: room("general"),
        seq: second,
    });
    bob.h.command(Command::Logout);
    bob.step(&offices, NOW_MS);
    for command in [
        Command::Edit {
            conv: room("general"),
            target: Some(first),
            text: "lunch at one".into(),
            id: MsgId::random(),
        },
        Command::Delete {
            conv: room("general"),
            target: second,
            id: MsgId::random(),
        },
    ] {
        alice.h.command(command);
        alice.step(&offices, NOW_MS);
    }
    assert_eq!(
        alice
            .h
            .events()
            .iter()
            .filter(|e| matches!(e, Event::Sent { .. }))
            .count(),
        2
    );
    let mut back = explicit_to(&offices[0]);
    back.h.command(Command::Login {
        username: "bob".into(),
        password: super::hub::PASSWORD.into(),
    });
    back.step(&offices, NOW_MS);
    let events = back.h.events();
    assert_eq!(
        changes(&events),
        [
            (first, ChangeKind::Edited, "lunch at one".into(), true),
            (second, ChangeKind::Deleted, String::new(), true),
        ]
    );
    assert!(Peer::messages(&events).is_empty(), "no message twice");
}

/// bob's connection drops while alice reacts and edits; after the reconnect the changes
/// arrive once, in order.
#[test]
fn changes_made_during_a_disconnection_arrive_once_after_it() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    let seq = say(&mut alice, &offices, "ship it?");
    bob.step(&offices, NOW_MS);
    bob.h.events();
    bob.lose_connection(&offices, NOW_MS);
    for command in [
        Command::React {
            conv: room("general"),
            target: seq,
            emoji: "🚀".into(),
            id: MsgId::random(),
        },
        Command::Edit {
            conv: room("general"),
            target: None,
            text: "ship it!".into(),
            id: MsgId::random(),
        },
    ] {
        alice.h.command(command);
        alice.step(&offices, NOW_MS);
    }
    bob.wait(&offices, NOW_MS);
    alice.h.command(Command::React {
        conv: room("general"),
        target: seq,
        emoji: "👍".into(),
        id: MsgId::random(),
    });
    alice.step(&offices, NOW_MS);
    bob.step(&offices, NOW_MS);
    let got = changes(&bob.h.events());
    let whats: Vec<(ChangeKind, bool)> = got.iter().map(|c| (c.1.clone(), c.3)).collect();
    assert_eq!(
        whats,
        [
            (
                ChangeKind::Reacted {
                    emoji: "🚀".into(),
                    added: true
                },
                true
            ),
            (ChangeKind::Edited, true),
            (
                ChangeKind::Reacted {
                    emoji: "👍".into(),
                    added: true
                },
                false
            ),
        ]
    );
    assert!(got.iter().all(|c| c.0 == seq && c.2 == "ship it!"));
}

/// A room deleted and made again under its name is a new sequence: its messages are shown,
/// not taken for ones seen before.
#[test]
fn a_room_made_again_after_its_deletion_is_a_new_conversation() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    let post = |peer: &mut Peer, text: &str| {
        peer.h.command(Command::Send {
            conv: room("ops"),
            text: text.into(),
            id: MsgId::random(),
        });
        peer.step(&offices, NOW_MS);
    };
    alice.h.command(Command::CreateRoom("ops".into()));
    alice.step(&offices, NOW_MS);
    bob.h.command(Command::JoinRoom("ops".into()));
    bob.step(&offices, NOW_MS);
    for n in 0..5 {
        post(&mut alice, &format!("old {n}"));
    }
    alice.h.command(Command::DeleteRoom("ops".into()));
    alice.step(&offices, NOW_MS);
    bob.step(&offices, NOW_MS);
    assert!(bob
        .h
        .events()
        .iter()
        .any(|e| matches!(e, Event::RoomDeleted { room, .. } if room == "ops")));
    alice.h.command(Command::CreateRoom("ops".into()));
    alice.step(&offices, NOW_MS);
    bob.h.command(Command::JoinRoom("ops".into()));
    bob.step(&offices, NOW_MS);
    bob.h.events();
    post(&mut alice, "new 1");
    bob.step(&offices, NOW_MS);
    let got: Vec<String> = Peer::messages(&bob.h.events())
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(got, ["new 1"]);
}

/// Typing notices: one per interval whatever the keystrokes, none when turned off.
#[test]
fn typing_is_told_at_most_every_interval_and_not_when_off() {
    let mut h = logged_in(vec![]);
    h.sent();
    let typing = |h: &mut Harness| {
        h.sent()
            .into_iter()
            .filter(|f| matches!(f.request, Request::Typing { .. }))
            .count()
    };
    for _ in 0..50 {
        h.command(Command::Typing(room("general")));
    }
    h.command(Command::Typing(ConvRef::Dm("bob".into())));
    assert_eq!(typing(&mut h), 2, "one per conversation");
    h.now += Duration::from_millis(TYPING_INTERVAL_MS - 1);
    h.command(Command::Typing(room("general")));
    assert_eq!(typing(&mut h), 0);
    h.now += Duration::from_millis(1);
    h.command(Command::Typing(room("general")));
    assert_eq!(typing(&mut h), 1);
    h.push(lanchat_net::protocol::Event::Settings(
        lanchat_net::protocol::Settings {
            typing: false,
            receipts: true,
        },
    ));
    h.now += Duration::from_millis(TYPING_INTERVAL_MS);
    h.command(Command::Typing(room("general")));
    assert_eq!(typing(&mut h), 0);
}
