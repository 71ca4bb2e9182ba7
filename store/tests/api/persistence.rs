use lanchat_store::{MessageKind, Role, Store, StoreError};

use crate::{cid, user, Reads};

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanchat.db");
    let (alice, room) = {
        let mut s = Store::open(&path).unwrap();
        let alice = user(&mut s, "alice", 1);
        let room = s.create_room("rust", alice.id, 2).unwrap();
        s.append_message(
            room.id,
            alice.id,
            &cid(1),
            MessageKind::Text,
            "persisted words",
            3,
        )
        .unwrap();
        s.create_session(alice.id, &[5; 32], 4).unwrap();
        (alice, room)
    };
    let mut s = Store::open(&path).unwrap();
    s.integrity_check().unwrap();
    assert_eq!(s.user_by_name("ALICE").unwrap().unwrap().0, alice);
    assert_eq!(s.room_by_name("rust").unwrap().unwrap().last_seq, 1);
    assert_eq!(
        s.membership(room.id, alice.id).unwrap().unwrap().role,
        Role::Owner
    );
    assert_eq!(
        s.messages_after(room.id, 0, 10).unwrap()[0].text,
        "persisted words"
    );
    assert_eq!(s.search(alice.id, "words", None, 10).unwrap().len(), 1);
    assert_eq!(s.session_user(&[5; 32], 5, 100).unwrap(), Some(alice.id));
    // Still exactly one general after a second open.
    assert_eq!(
        s.list_rooms(None, 100)
            .unwrap()
            .iter()
            .filter(|r| r.name == "general")
            .count(),
        1
    );
    // Idempotency also holds across restarts.
    let again = s
        .append_message(
            room.id,
            alice.id,
            &cid(1),
            MessageKind::Text,
            "persisted words",
            9,
        )
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.seq, 1);
}

#[test]
fn integrity_check_passes_on_fresh_store() {
    let s = Store::open_in_memory().unwrap();
    s.integrity_check().unwrap();
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(Store::open(&path).unwrap());
    bump_user_version(&path);
    match Store::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, supported + 1);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

/// Bumps `user_version` past what this build supports by patching the
/// SQLite header directly (offset 60, big-endian), so the test needs no SQL
/// access of its own.
fn bump_user_version(path: &std::path::Path) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut buf = [0u8; 4];
    f.seek(SeekFrom::Start(60)).unwrap();
    f.read_exact(&mut buf).unwrap();
    let version = u32::from_be_bytes(buf) + 1;
    f.seek(SeekFrom::Start(60)).unwrap();
    f.write_all(&version.to_be_bytes()).unwrap();
}
