//! Reads beside the writer (the read pool's snapshots), and every list read one page at a
//! time.
use lanchat_store::{MessageKind, Store, StoreError};

use crate::{cid, store, user, Reads};

/// A snapshot keeps reading what was committed when it began while the writer commits more,
/// and neither waits for the other (WAL).
#[test]
fn a_snapshot_reads_beside_the_writer_and_sees_one_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("lanchat.db")).unwrap();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    s.append_message(g, alice.id, &cid(1), MessageKind::Text, "one", 1)
        .unwrap();
    let pool = s.read_pool();
    assert_eq!(pool.size(), lanchat_store::READERS);
    pool.snapshot(|snap| {
        assert_eq!(snap.messages_after(g, 0, 10)?.len(), 1);
        // The writer commits while the snapshot is open: no waiting on either side.
        s.append_message(g, alice.id, &cid(2), MessageKind::Text, "two", 2)
            .unwrap();
        assert_eq!(snap.messages_after(g, 0, 10)?.len(), 1, "one state");
        Ok::<_, StoreError>(())
    })
    .unwrap();
    let after = pool.snapshot(|snap| snap.messages_after(g, 0, 10)).unwrap();
    assert_eq!(after.len(), 2, "the next snapshot sees the commit");
}

/// Every connection is in use: the next read waits for one to come back, and then runs.
#[test]
fn reads_beyond_the_pool_wait_their_turn() {
    let s = store();
    let pool = s.read_pool();
    let (entered, wait_here) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    std::thread::scope(|scope| {
        for _ in 0..pool.size() {
            let (pool, entered, released) = (&pool, entered.clone(), &released);
            scope.spawn(move || {
                pool.snapshot(|snap| {
                    snap.general()?;
                    entered.send(()).unwrap();
                    let _ = released.lock().unwrap().recv();
                    Ok::<_, StoreError>(())
                })
                .unwrap()
            });
        }
        for _ in 0..pool.size() {
            wait_here.recv().unwrap();
        }
        let (done_tx, done) = std::sync::mpsc::channel();
        let pool = &pool;
        scope.spawn(move || {
            pool.snapshot(|snap| snap.general()).unwrap();
            done_tx.send(()).unwrap();
        });
        // Bounded wait for an absence: the extra read must not run while all are lent.
        assert!(done
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err());
        for _ in 0..pool.size() {
            release.send(()).unwrap();
        }
        done.recv().unwrap();
    });
}

#[test]
fn reading_an_unused_dm_creates_nothing() {
    let s = store();
    let err = s
        .read_pool()
        .snapshot(|snap| snap.dm_between(1, 2))
        .map(|dm| assert!(dm.is_none(), "reading never creates a DM"));
    assert!(err.is_ok());
}

#[test]
fn rooms_users_and_members_come_in_pages() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    for name in ["bob", "Carol", "dave"] {
        user(&mut s, name, 1);
    }
    for name in ["beta", "alpha", "Gamma"] {
        s.create_room(name, alice.id, 2).unwrap();
    }
    let names = |rooms: Vec<lanchat_store::RoomListing>| -> Vec<String> {
        rooms.into_iter().map(|r| r.name).collect()
    };
    assert_eq!(names(s.list_rooms(None, 2).unwrap()), ["alpha", "beta"]);
    assert_eq!(
        names(s.list_rooms(Some("beta"), 2).unwrap()),
        ["Gamma", "general"]
    );
    assert!(s.list_rooms(Some("general"), 2).unwrap().is_empty());

    let users: Vec<String> = s
        .list_users(Some("bob"), 2)
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(users, ["Carol", "dave"], "case-insensitive order");

    let g = s.general().unwrap().id;
    let first = s.members(g, 0, 3).unwrap();
    let rest = s.members(g, first[2].position, 3).unwrap();
    let all: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|m| m.username.clone())
        .collect();
    assert_eq!(all, ["alice", "bob", "Carol", "dave"]);
}

#[test]
fn search_pages_newest_first() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    for n in 1..=5u8 {
        s.append_message(g, alice.id, &cid(n), MessageKind::Text, "quarterly", 10)
            .unwrap();
    }
    let first = s.search(alice.id, "quarterly", None, 2).unwrap();
    let seqs = |m: &[lanchat_store::StoredMessage]| m.iter().map(|m| m.seq).collect::<Vec<_>>();
    assert_eq!(seqs(&first), [5, 4]);
    let next = s
        .search(alice.id, "quarterly", Some(first[1].position), 10)
        .unwrap();
    assert_eq!(seqs(&next), [3, 2, 1]);
}

#[test]
fn storage_counts_each_content_once() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    s.share_file(g, alice.id, &cid(1), "a.bin", 100, &[1; 32], 1)
        .unwrap();
    s.share_file(g, alice.id, &cid(2), "a-again.bin", 100, &[1; 32], 2)
        .unwrap();
    s.share_file(g, bob.id, &cid(3), "a-too.bin", 100, &[1; 32], 3)
        .unwrap();
    s.share_file(g, bob.id, &cid(4), "b.bin", 30, &[2; 32], 4)
        .unwrap();
    assert_eq!(s.storage_of(alice.id).unwrap(), 100);
    assert_eq!(s.storage_of(bob.id).unwrap(), 130);
    assert_eq!(s.storage_total().unwrap(), 130);
}
