use lanchat_store::{Appended, MessageKind, StoreError};

use crate::{cid, store, user, Reads};

#[test]
fn append_assigns_contiguous_sequence_numbers() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let room = s.create_room("rust", alice.id, 0).unwrap();
    let other = s.create_room("other", alice.id, 0).unwrap();
    for n in 1..=5u8 {
        let a = s
            .append_message(
                room.id,
                alice.id,
                &cid(n),
                MessageKind::Text,
                "x",
                100 + i64::from(n),
            )
            .unwrap();
        assert_eq!(
            a,
            Appended {
                seq: u64::from(n),
                ts_ms: 100 + i64::from(n),
                duplicate: false
            }
        );
    }
    // Sequences are per conversation.
    let first_other = s
        .append_message(other.id, alice.id, &cid(1), MessageKind::Text, "y", 200)
        .unwrap();
    assert_eq!(first_other.seq, 1);
    assert_eq!(s.conversation(room.id).unwrap().unwrap().last_seq, 5);
    let seqs: Vec<_> = s
        .messages_after(room.id, 0, 100)
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
}

#[test]
fn resend_is_idempotent() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    let first = s
        .append_message(g, alice.id, &cid(9), MessageKind::Text, "hello", 10)
        .unwrap();
    let again = s
        .append_message(g, alice.id, &cid(9), MessageKind::Text, "hello", 20)
        .unwrap();
    assert_eq!(
        again,
        Appended {
            seq: first.seq,
            ts_ms: 10,
            duplicate: true
        }
    );
    assert_eq!(s.general().unwrap().last_seq, 1);
    // The same client id from another sender is a different message.
    let bobs = s
        .append_message(g, bob.id, &cid(9), MessageKind::Text, "hi", 30)
        .unwrap();
    assert_eq!((bobs.seq, bobs.duplicate), (2, false));
    assert_eq!(s.messages_after(g, 0, 10).unwrap().len(), 2);
}

#[test]
fn append_to_missing_conversation_fails() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    assert!(matches!(
        s.append_message(9999, alice.id, &cid(1), MessageKind::Text, "x", 1),
        Err(StoreError::NoSuchConversation)
    ));
}

#[test]
fn failed_append_leaves_no_trace() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    // An unknown sender violates a foreign key after last_seq was bumped;
    // the rollback must undo the bump.
    assert!(matches!(
        s.append_message(g, alice.id + 100, &cid(1), MessageKind::Text, "x", 1),
        Err(StoreError::Sqlite(_))
    ));
    assert_eq!(s.general().unwrap().last_seq, 0);
    let a = s
        .append_message(g, alice.id, &cid(1), MessageKind::Text, "x", 2)
        .unwrap();
    assert_eq!(a.seq, 1);
}

#[test]
fn stored_message_fields_round_trip() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let id: [u8; 16] = core::array::from_fn(|i| i as u8);
    s.append_message(g, alice.id, &id, MessageKind::System, "alice joined", 42)
        .unwrap();
    let m = &s.messages_after(g, 0, 1).unwrap()[0];
    assert_eq!(m.conv_id, g);
    assert_eq!(m.seq, 1);
    assert_eq!(m.sender_id, alice.id);
    assert_eq!(m.sender, "alice");
    assert_eq!(m.sender_display, "ALICE");
    assert_eq!(m.client_id, id);
    assert_eq!(m.ts_ms, 42);
    assert_eq!(m.kind, MessageKind::System);
    assert_eq!(m.text, "alice joined");
}

#[test]
fn paging_after_and_before() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    for n in 1..=10u8 {
        s.append_message(g, alice.id, &cid(n), MessageKind::Text, &format!("m{n}"), 0)
            .unwrap();
    }
    let seqs = |v: Vec<lanchat_store::StoredMessage>| v.iter().map(|m| m.seq).collect::<Vec<_>>();
    assert_eq!(seqs(s.messages_after(g, 3, 4).unwrap()), [4, 5, 6, 7]);
    assert_eq!(seqs(s.messages_after(g, 8, 100).unwrap()), [9, 10]);
    assert!(s.messages_after(g, 10, 100).unwrap().is_empty());
    assert_eq!(seqs(s.messages_before(g, 8, 3).unwrap()), [5, 6, 7]);
    assert_eq!(seqs(s.messages_before(g, 3, 100).unwrap()), [1, 2]);
    assert_eq!(
        seqs(s.messages_before(g, u64::MAX >> 1, 2).unwrap()),
        [9, 10]
    );
    assert!(s.messages_before(g, 1, 100).unwrap().is_empty());
    assert!(s.messages_after(g, 0, 0).unwrap().is_empty());
}

#[test]
fn unread_counts_follow_cursor_and_never_go_back() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    for n in 1..=6u8 {
        s.append_message(g, alice.id, &cid(n), MessageKind::Text, "x", 0)
            .unwrap();
    }
    let unread = |s: &lanchat_store::Store| {
        let list = s.conversations_of(bob.id).unwrap();
        (list[0].unread, list[0].read_seq)
    };
    assert_eq!(unread(&s), (6, 0));
    s.mark_read(g, bob.id, 4).unwrap();
    assert_eq!(unread(&s), (2, 4));
    s.mark_read(g, bob.id, 2).unwrap();
    assert_eq!(unread(&s), (2, 4));
    // Clamped to last_seq, so later messages still count as unread.
    s.mark_read(g, bob.id, 1_000).unwrap();
    assert_eq!(unread(&s), (0, 6));
    s.append_message(g, alice.id, &cid(7), MessageKind::Text, "x", 0)
        .unwrap();
    assert_eq!(unread(&s), (1, 6));

    let carol = user(&mut s, "carol", 0);
    let room = s.create_room("r", alice.id, 0).unwrap().id;
    assert!(matches!(
        s.mark_read(room, carol.id, 1),
        Err(StoreError::NotMember)
    ));
}

#[test]
fn mute_flag() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    s.set_muted(g, alice.id, true).unwrap();
    assert!(s.membership(g, alice.id).unwrap().unwrap().muted);
    assert!(s.conversations_of(alice.id).unwrap()[0].muted);
    s.set_muted(g, alice.id, false).unwrap();
    assert!(!s.membership(g, alice.id).unwrap().unwrap().muted);
    assert!(matches!(
        s.set_muted(g, alice.id + 1, true),
        Err(StoreError::NotMember)
    ));
}

#[test]
fn a_batch_commits_together_and_each_message_gets_its_own_outcome() {
    use lanchat_store::NewMessage;
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let room = s.create_room("rust", alice.id, 0).unwrap();
    let first = s
        .append_message(room.id, alice.id, &cid(1), MessageKind::Text, "one", 10)
        .unwrap();
    let msg = |conv, id: &'static [u8; 16], text: &'static str| NewMessage {
        conv,
        sender: alice.id,
        client_id: id,
        kind: MessageKind::Text,
        text,
        now_ms: 20,
        reply_to: None,
        mentions: &[],
        everyone: false,
    };
    const TWO: [u8; 16] = [2; 16];
    const ONE: [u8; 16] = [1; 16];
    const THREE: [u8; 16] = [3; 16];
    assert_eq!(cid(1), ONE, "cid(n) is n repeated");
    let outcomes = s
        .append_batch(&[
            msg(room.id, &TWO, "two"),
            // A resend of the first message: recognised, nothing stored.
            msg(room.id, &ONE, "one again"),
            // A conversation that does not exist: refused, the others unaffected.
            msg(room.id + 999, &THREE, "lost"),
            msg(room.id, &THREE, "three"),
            NewMessage {
                kind: MessageKind::File,
                ..msg(room.id, &[4; 16], "file")
            },
        ])
        .unwrap();
    assert_eq!(outcomes.len(), 5);
    assert_eq!(outcomes[0].as_ref().unwrap().seq, 2);
    assert_eq!(
        outcomes[1].as_ref().unwrap(),
        &Appended {
            duplicate: true,
            ..first
        }
    );
    assert!(matches!(outcomes[2], Err(StoreError::NoSuchConversation)));
    assert_eq!(outcomes[3].as_ref().unwrap().seq, 3);
    assert!(matches!(outcomes[4], Err(StoreError::FileNeedsShare)));
    let texts: Vec<_> = s
        .messages_after(room.id, 0, 100)
        .unwrap()
        .into_iter()
        .map(|m| (m.seq, m.text))
        .collect();
    assert_eq!(
        texts,
        [(1, "one".into()), (2, "two".into()), (3, "three".into())]
    );
    // The sender's read cursor moved with the batch, in the same commit.
    let summary = s
        .conversations_of(alice.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == room.id)
        .unwrap();
    assert_eq!(summary.read_seq, 3);
}
