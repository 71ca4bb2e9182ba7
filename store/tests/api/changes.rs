//! Edits, deletions, reactions, replies and mentions: entries of the sequence that change an
//! earlier message, whose row shows it as it is now.
use lanchat_store::{ChangeOp, MessageKind, NewMessage, StoreError, MAX_REACTIONS};

use crate::{cid, store, user, Reads};

/// (seq, kind, text) of everything after seq 0.
fn entries(s: &lanchat_store::Store, conv: i64) -> Vec<(u64, MessageKind, String)> {
    s.messages_after(conv, 0, 100)
        .unwrap()
        .into_iter()
        .map(|m| (m.seq, m.kind, m.text))
        .collect()
}

#[test]
fn an_edit_is_an_entry_and_the_message_shows_its_new_text() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    s.append_message(
        g,
        alice.id,
        &cid(1),
        MessageKind::Text,
        "quarterly figures",
        1,
    )
    .unwrap();
    let changed = s
        .change_message(
            g,
            alice.id,
            &cid(2),
            1,
            ChangeOp::Edit {
                text: "annual results",
                mentions: &[],
                everyone: false,
            },
            5,
        )
        .unwrap();
    assert_eq!(changed.kind, MessageKind::Edit);
    assert_eq!(changed.appended.seq, 2);
    // The entry carries its target's state; the target shows the new text.
    let all = s.messages_after(g, 0, 10).unwrap();
    assert_eq!(all[0].text, "annual results");
    assert_eq!(all[0].edited_ms, Some(5));
    assert_eq!(all[1].kind, MessageKind::Edit);
    assert_eq!(all[1].target, Some(1));
    assert_eq!(all[1].text, "annual results");
    assert_eq!(all[1].sender, "alice");
    // Scrollback shows messages only; search follows the edit.
    let page = s.messages_before(g, u64::MAX >> 1, 10).unwrap();
    assert_eq!(page.len(), 1);
    assert!(s
        .search(alice.id, "quarterly", None, 10)
        .unwrap()
        .is_empty());
    assert_eq!(s.search(alice.id, "annual", None, 10).unwrap()[0].seq, 1);
    // A resend changes nothing and answers with the original entry.
    let again = s
        .change_message(
            g,
            alice.id,
            &cid(2),
            1,
            ChangeOp::Edit {
                text: "something else",
                mentions: &[],
                everyone: false,
            },
            9,
        )
        .unwrap();
    assert!(again.appended.duplicate);
    assert_eq!(again.appended.seq, 2);
    assert_eq!(s.messages_after(g, 0, 1).unwrap()[0].text, "annual results");
    // The edit is not unread for anyone: it changes a message, it is not one.
    s.change_message(
        g,
        alice.id,
        &cid(3),
        1,
        ChangeOp::Edit {
            text: "annual results, final",
            mentions: &[],
            everyone: false,
        },
        10,
    )
    .unwrap();
    let summary = s
        .conversations_of(bob.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == g)
        .unwrap();
    assert_eq!(summary.conv.last_seq, 3);
    assert_eq!(summary.unread, 1, "only the message itself");
}

#[test]
fn a_deletion_empties_the_message_and_the_index_forgets_it() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    s.join(g, bob.id, 0).unwrap();
    s.append_batch(&[NewMessage {
        conv: g,
        sender: alice.id,
        client_id: &cid(1),
        kind: MessageKind::Text,
        text: "the vault code is swordfish @bob",
        now_ms: 1,
        reply_to: None,
        mentions: &[bob.id],
        everyone: false,
    }])
    .unwrap();
    s.change_message(g, bob.id, &cid(2), 1, ChangeOp::React { emoji: "👀" }, 2)
        .unwrap();
    let deleted = s
        .change_message(g, alice.id, &cid(3), 1, ChangeOp::Delete, 3)
        .unwrap();
    assert_eq!(deleted.kind, MessageKind::Delete);
    assert_eq!(deleted.unshared, None);
    let m = &s.messages_after(g, 0, 1).unwrap()[0];
    assert!(m.deleted);
    assert_eq!(m.text, "");
    assert!(m.reactions.is_empty() && m.mentions.is_empty());
    assert!(s.search(bob.id, "swordfish", None, 10).unwrap().is_empty());
    // Nothing more can happen to it.
    for op in [
        ChangeOp::Delete,
        ChangeOp::React { emoji: "👍" },
        ChangeOp::Edit {
            text: "back",
            mentions: &[],
            everyone: false,
        },
    ] {
        assert!(matches!(
            s.change_message(g, alice.id, &cid(9), 1, op, 4),
            Err(StoreError::NoSuchMessage)
        ));
    }
    // Neither unread nor a mention any more.
    let summary = s
        .conversations_of(bob.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == g)
        .unwrap();
    assert_eq!((summary.unread, summary.mentions), (0, 0));
}

/// The database keeps no deleted text: not in the file, not in the write-ahead log, not in
/// the full-text index's pages, once scrubbed.
#[test]
fn deleted_text_leaves_the_database_file_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut s = lanchat_store::Store::open(&path).unwrap();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let secret = "zebracorn-4471-secret";
    for n in 0..20u8 {
        let text = format!("filler message {n} with some words");
        s.append_message(g, alice.id, &cid(n + 100), MessageKind::Text, &text, 1)
            .unwrap();
    }
    let seq = s
        .append_message(g, alice.id, &cid(1), MessageKind::Text, secret, 1)
        .unwrap()
        .seq;
    // Edited away first, then deleted: neither the first text nor the second may stay.
    let edited = "zebracorn-edited-text";
    s.change_message(
        g,
        alice.id,
        &cid(2),
        seq,
        ChangeOp::Edit {
            text: edited,
            mentions: &[],
            everyone: false,
        },
        2,
    )
    .unwrap();
    let contains = |what: &str| -> Vec<String> {
        ["t.db", "t.db-wal"]
            .iter()
            .filter(|f| {
                let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
                bytes.windows(what.len()).any(|w| w == what.as_bytes())
            })
            .map(|f| f.to_string())
            .collect()
    };
    assert!(
        !contains(edited).is_empty(),
        "the test looks in the right files"
    );
    s.change_message(g, alice.id, &cid(3), seq, ChangeOp::Delete, 3)
        .unwrap();
    assert!(s.scrub().unwrap(), "nothing reads: the log is emptied");
    for text in [secret, edited, "zebracorn"] {
        assert_eq!(
            contains(text),
            Vec::<String>::new(),
            "{text:?} is still there"
        );
    }
    // Nothing else was lost.
    assert_eq!(s.messages_after(g, 0, 100).unwrap().len(), 23);
    assert_eq!(s.search(alice.id, "filler", None, 50).unwrap().len(), 20);
    s.integrity_check().unwrap();
}

#[test]
fn a_scrub_waits_for_no_reader_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = lanchat_store::Store::open(&dir.path().join("t.db")).unwrap();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, "x", 1)
        .unwrap();
    let pool = s.read_pool();
    let refused = pool
        .snapshot(|snap| {
            // The snapshot holds a read of the log open.
            snap.messages_after(g, 0, 1)?;
            s.append_message(g, alice.id, &cid(2), MessageKind::Text, "y", 1)?;
            s.scrub()
        })
        .unwrap();
    assert!(!refused, "a reader holds older pages of the log");
    assert!(s.scrub().unwrap());
}

#[test]
fn reactions_toggle_count_and_are_bounded() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, "lunch?", 1)
        .unwrap();
    let react = |s: &mut lanchat_store::Store, who, id: u8, emoji: &str| {
        s.change_message(g, who, &cid(id), 1, ChangeOp::React { emoji }, 2)
    };
    assert_eq!(
        react(&mut s, alice.id, 2, "👍").unwrap().kind,
        MessageKind::React
    );
    assert_eq!(
        react(&mut s, bob.id, 3, "👍").unwrap().kind,
        MessageKind::React
    );
    assert_eq!(
        react(&mut s, bob.id, 4, "🍕").unwrap().kind,
        MessageKind::React
    );
    let counts = |s: &lanchat_store::Store| -> Vec<(String, u32)> {
        s.messages_after(g, 0, 1).unwrap()[0]
            .reactions
            .iter()
            .map(|r| (r.emoji.clone(), r.count))
            .collect()
    };
    assert_eq!(counts(&s), [("👍".into(), 2), ("🍕".into(), 1)]);
    // Again: taken back. A resend of that does not toggle it a second time.
    assert_eq!(
        react(&mut s, bob.id, 5, "👍").unwrap().kind,
        MessageKind::Unreact
    );
    let resent = react(&mut s, bob.id, 5, "👍").unwrap();
    assert!(resent.appended.duplicate);
    assert_eq!(resent.kind, MessageKind::Unreact);
    assert_eq!(counts(&s), [("👍".into(), 1), ("🍕".into(), 1)]);
    // The entry names the reaction.
    let last = s.messages_after(g, 4, 1).unwrap().pop().unwrap();
    assert_eq!(
        (last.kind, last.emoji.as_deref()),
        (MessageKind::Unreact, Some("👍"))
    );
    // Different reactions are bounded; more of one already given are not.
    for n in 2..MAX_REACTIONS {
        react(&mut s, alice.id, 10 + n as u8, &format!("r{n}")).unwrap();
    }
    assert!(matches!(
        react(&mut s, alice.id, 99, "one-too-many"),
        Err(StoreError::TooManyReactions(MAX_REACTIONS))
    ));
    react(&mut s, alice.id, 98, "🍕").unwrap();
    assert_eq!(counts(&s).len(), MAX_REACTIONS);
}

#[test]
fn a_reply_quotes_what_it_answers_as_it_is_now() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let long = "x".repeat(500);
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, &long, 1)
        .unwrap();
    let reply = |s: &mut lanchat_store::Store, id: u8, to| {
        s.append_batch(&[NewMessage {
            conv: g,
            sender: alice.id,
            client_id: &cid(id),
            kind: MessageKind::Text,
            text: "indeed",
            now_ms: 2,
            reply_to: Some(to),
            mentions: &[],
            everyone: false,
        }])
        .unwrap()
        .pop()
        .unwrap()
    };
    assert_eq!(reply(&mut s, 2, 1).unwrap().seq, 2);
    let quote = s.messages_after(g, 1, 1).unwrap()[0]
        .reply_to
        .clone()
        .unwrap();
    assert_eq!((quote.seq, quote.sender.as_str()), (1, "alice"));
    assert_eq!(quote.text.chars().count(), lanchat_store::QUOTE_CHARS);
    assert!(matches!(
        reply(&mut s, 3, 77),
        Err(StoreError::NoSuchMessage)
    ));
    s.change_message(g, alice.id, &cid(4), 1, ChangeOp::Delete, 3)
        .unwrap();
    let quote = s.messages_after(g, 1, 1).unwrap()[0]
        .reply_to
        .clone()
        .unwrap();
    assert!(quote.deleted && quote.text.is_empty());
    assert!(matches!(
        reply(&mut s, 5, 1),
        Err(StoreError::NoSuchMessage)
    ));
}

#[test]
fn mentions_are_counted_apart_from_unread_and_follow_edits() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    s.join(g, bob.id, 0).unwrap();
    let post = |s: &mut lanchat_store::Store, id: u8, mentions: &[i64], everyone| {
        s.append_batch(&[NewMessage {
            conv: g,
            sender: alice.id,
            client_id: &cid(id),
            kind: MessageKind::Text,
            text: "hello",
            now_ms: 2,
            reply_to: None,
            mentions,
            everyone,
        }])
        .unwrap();
    };
    post(&mut s, 1, &[bob.id, bob.id], false);
    post(&mut s, 2, &[], false);
    post(&mut s, 3, &[bob.id], true);
    let of = |s: &lanchat_store::Store, who| {
        let c = s
            .conversations_of(who)
            .unwrap()
            .into_iter()
            .find(|c| c.conv.id == g)
            .unwrap();
        (c.unread, c.mentions)
    };
    assert_eq!(of(&s, bob.id), (3, 2));
    assert_eq!(of(&s, alice.id), (0, 0), "never one's own");
    let first = &s.messages_after(g, 0, 3).unwrap();
    assert_eq!(first[0].mentions, ["bob"]);
    assert!(first[2].mentions_room && first[2].mentions.is_empty());
    // An edit that drops the mention drops it from the count.
    s.change_message(
        g,
        alice.id,
        &cid(4),
        1,
        ChangeOp::Edit {
            text: "hello all",
            mentions: &[],
            everyone: false,
        },
        3,
    )
    .unwrap();
    assert_eq!(of(&s, bob.id), (3, 1));
    s.mark_read(g, bob.id, 4).unwrap();
    assert_eq!(of(&s, bob.id), (0, 0));
}

#[test]
fn the_last_message_of_a_sender_skips_deleted_ones() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    assert_eq!(s.last_message_of(g, alice.id).unwrap(), None);
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, "a", 1)
        .unwrap();
    s.append_message(g, alice.id, &cid(2), MessageKind::Text, "b", 1)
        .unwrap();
    s.append_message(g, bob.id, &cid(1), MessageKind::Text, "c", 1)
        .unwrap();
    assert_eq!(s.last_message_of(g, alice.id).unwrap(), Some(2));
    s.change_message(g, alice.id, &cid(3), 2, ChangeOp::Delete, 2)
        .unwrap();
    assert_eq!(s.last_message_of(g, alice.id).unwrap(), Some(1));
    let (posted, kind) = s.posted(g, alice.id, &cid(3)).unwrap().unwrap();
    assert_eq!((posted.seq, kind), (4, MessageKind::Delete));
}

#[test]
fn a_deleted_file_message_frees_its_content_once_nothing_refers_to_it() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let room = s.create_room("ops", alice.id, 0).unwrap();
    let (a, _) = s
        .share_file(g, alice.id, &cid(1), "plan.pdf", 10, &[7; 32], 1)
        .unwrap();
    s.share_file(room.id, alice.id, &cid(1), "plan.pdf", 10, &[7; 32], 1)
        .unwrap();
    let first = s
        .change_message(g, alice.id, &cid(2), a.seq, ChangeOp::Delete, 2)
        .unwrap();
    assert_eq!(first.unshared, None, "still shared in #ops");
    assert_eq!(s.shared_file(a.id).unwrap(), None);
    let second = s
        .change_message(room.id, alice.id, &cid(2), 1, ChangeOp::Delete, 2)
        .unwrap();
    assert_eq!(second.unshared, Some([7; 32]));
    assert!(!s.hash_is_shared(&[7; 32]).unwrap());
    assert!(s.search(alice.id, "plan", None, 10).unwrap().is_empty());
    assert_eq!(
        entries(&s, room.id),
        [
            (1, MessageKind::File, String::new()),
            (2, MessageKind::Delete, String::new())
        ]
    );
}
