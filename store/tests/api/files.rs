use lanchat_store::{Appended, MessageKind, SharedFile, Store, StoreError};

use crate::{cid, store, user, Reads};

/// A hash that differs per `n`, with distinct bytes so a reordering shows.
fn hash(n: u8) -> [u8; 32] {
    core::array::from_fn(|i| n.wrapping_mul(31).wrapping_add(i as u8))
}

#[test]
fn shared_file_reads_back_through_history() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, "before", 10)
        .unwrap();
    let (file, appended) = s
        .share_file(g, alice.id, &cid(2), "plan.pdf", 4096, &hash(1), 20)
        .unwrap();
    assert_eq!(
        appended,
        Appended {
            seq: 2,
            ts_ms: 20,
            duplicate: false
        }
    );
    let expected = SharedFile {
        id: file.id,
        conv_id: g,
        seq: 2,
        hash: hash(1),
        name: "plan.pdf".to_owned(),
        size: 4096,
        uploader: alice.id,
        uploader_name: "alice".to_owned(),
        created_ms: 20,
    };
    assert_eq!(file, expected);
    assert_eq!(s.conversation(g).unwrap().unwrap().last_seq, 2);

    let history = s.messages_after(g, 0, 10).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].kind, MessageKind::Text);
    assert_eq!(history[0].file, None);
    let m = &history[1];
    assert_eq!(m.seq, 2);
    assert_eq!(m.kind, MessageKind::File);
    assert_eq!(m.text, "plan.pdf");
    assert_eq!(m.sender_id, alice.id);
    assert_eq!(m.client_id, cid(2));
    assert_eq!(m.ts_ms, 20);
    assert_eq!(m.file.as_ref(), Some(&expected));

    let older = s.messages_before(g, 3, 1).unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].file.as_ref(), Some(&expected));
    assert_eq!(s.shared_file(file.id).unwrap(), Some(expected));
}

#[test]
fn file_names_are_searchable() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let (file, _) = s
        .share_file(g, alice.id, &cid(1), "budget-2025.xlsx", 1, &hash(1), 5)
        .unwrap();
    let found = s.search(alice.id, "budget", None, 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, MessageKind::File);
    assert_eq!(found[0].file, Some(file));
}

#[test]
fn resend_returns_original_and_stores_nothing() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    let (first, a1) = s
        .share_file(g, alice.id, &cid(5), "a.txt", 10, &hash(1), 100)
        .unwrap();
    // Different name, size, hash and time: still the original.
    let (again, a2) = s
        .share_file(g, alice.id, &cid(5), "b.txt", 99, &hash(2), 200)
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        a2,
        Appended {
            seq: a1.seq,
            ts_ms: 100,
            duplicate: true
        }
    );
    assert_eq!(s.general().unwrap().last_seq, 1);
    assert_eq!(s.messages_after(g, 0, 10).unwrap().len(), 1);
    assert!(!s.hash_is_shared(&hash(2)).unwrap());
    assert_eq!(s.shared_file(first.id + 1).unwrap(), None);

    // The same client id from another uploader is a different share.
    let (bobs, ab) = s
        .share_file(g, bob.id, &cid(5), "a.txt", 10, &hash(1), 300)
        .unwrap();
    assert_eq!((ab.seq, ab.duplicate), (2, false));
    assert_ne!(bobs.id, first.id);
    assert_eq!(bobs.uploader_name, "bob");
}

#[test]
fn same_hash_in_two_conversations() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    let room = s.create_room("rust", alice.id, 0).unwrap().id;
    assert!(!s.hash_is_shared(&hash(7)).unwrap());
    let (in_general, _) = s
        .share_file(g, alice.id, &cid(1), "logo.png", 512, &hash(7), 1)
        .unwrap();
    let (in_room, appended) = s
        .share_file(room, alice.id, &cid(1), "logo-copy.png", 512, &hash(7), 2)
        .unwrap();
    assert!(!appended.duplicate);
    assert_ne!(in_general.id, in_room.id);
    assert_eq!((in_general.conv_id, in_general.seq), (g, 1));
    assert_eq!((in_room.conv_id, in_room.seq), (room, 1));
    assert_eq!(in_room.name, "logo-copy.png");
    assert_eq!(s.shared_file(in_general.id).unwrap(), Some(in_general));
    assert_eq!(s.shared_file(in_room.id).unwrap(), Some(in_room));
    assert!(s.hash_is_shared(&hash(7)).unwrap());
    assert!(!s.hash_is_shared(&hash(8)).unwrap());
}

#[test]
fn unknown_file_is_none() {
    let s = store();
    assert_eq!(s.shared_file(1).unwrap(), None);
    assert_eq!(s.shared_file(-5).unwrap(), None);
}

#[test]
fn failures_leave_no_trace() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    assert!(matches!(
        s.share_file(9999, alice.id, &cid(1), "x", 1, &hash(1), 1),
        Err(StoreError::NoSuchConversation)
    ));
    // Too large for SQLite's signed integers: the message appended before
    // the files insert must roll back with it.
    assert!(matches!(
        s.share_file(g, alice.id, &cid(1), "x", u64::MAX, &hash(1), 1),
        Err(StoreError::Sqlite(_))
    ));
    assert_eq!(s.general().unwrap().last_seq, 0);
    assert!(s.messages_after(g, 0, 10).unwrap().is_empty());
    assert!(!s.hash_is_shared(&hash(1)).unwrap());
}

#[test]
fn file_kind_only_through_share_file() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    assert!(matches!(
        s.append_message(g, alice.id, &cid(1), MessageKind::File, "x", 1),
        Err(StoreError::FileNeedsShare)
    ));
    // A share reusing a text message's client id cannot be a resend.
    s.append_message(g, alice.id, &cid(2), MessageKind::Text, "hi", 2)
        .unwrap();
    assert!(matches!(
        s.share_file(g, alice.id, &cid(2), "x", 1, &hash(1), 3),
        Err(StoreError::ClientIdReused)
    ));
    assert_eq!(s.general().unwrap().last_seq, 1);
    assert!(!s.hash_is_shared(&hash(1)).unwrap());
}

#[test]
fn files_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanchat.db");
    let (alice, file) = {
        let mut s = Store::open(&path).unwrap();
        let alice = user(&mut s, "alice", 1);
        let g = s.general().unwrap().id;
        let (file, _) = s
            .share_file(g, alice.id, &cid(3), "notes.md", 77, &hash(3), 2)
            .unwrap();
        (alice, file)
    };
    let mut s = Store::open(&path).unwrap();
    s.integrity_check().unwrap();
    assert_eq!(s.shared_file(file.id).unwrap().as_ref(), Some(&file));
    assert!(s.hash_is_shared(&hash(3)).unwrap());
    let m = &s.messages_after(file.conv_id, 0, 10).unwrap()[0];
    assert_eq!(m.file.as_ref(), Some(&file));
    // Idempotency holds across restarts too.
    let (again, appended) = s
        .share_file(file.conv_id, alice.id, &cid(3), "notes.md", 77, &hash(3), 9)
        .unwrap();
    assert!(appended.duplicate);
    assert_eq!(again, file);
}
