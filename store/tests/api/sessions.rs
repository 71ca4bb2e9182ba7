use crate::{store, user};

#[test]
fn session_resolves_and_refreshes() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let token = [7u8; 32];
    s.create_session(alice.id, &token, 1_000).unwrap();
    assert_eq!(
        s.session_user(&token, 1_500, 1_000).unwrap(),
        Some(alice.id)
    );
    // Last use at 1_500 keeps it alive until 2_500, past the original 2_000.
    assert_eq!(
        s.session_user(&token, 2_400, 1_000).unwrap(),
        Some(alice.id)
    );
    assert_eq!(
        s.session_user(&token, 3_400, 1_000).unwrap(),
        Some(alice.id)
    );
    assert_eq!(s.session_user(&[8u8; 32], 3_400, 1_000).unwrap(), None);
}

#[test]
fn idle_session_expires_and_is_deleted() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let token = [1u8; 32];
    s.create_session(alice.id, &token, 1_000).unwrap();
    assert_eq!(s.session_user(&token, 2_001, 1_000).unwrap(), None);
    // Deleted: going back in time does not revive it.
    assert_eq!(s.session_user(&token, 1_001, 1_000).unwrap(), None);
}

#[test]
fn delete_one_or_all_sessions() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let (a1, a2, b1) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    s.create_session(alice.id, &a1, 0).unwrap();
    s.create_session(alice.id, &a2, 0).unwrap();
    s.create_session(bob.id, &b1, 0).unwrap();

    s.delete_session(&a1).unwrap();
    assert_eq!(s.session_user(&a1, 1, 100).unwrap(), None);
    assert_eq!(s.session_user(&a2, 1, 100).unwrap(), Some(alice.id));

    s.delete_sessions_of(alice.id).unwrap();
    assert_eq!(s.session_user(&a2, 1, 100).unwrap(), None);
    assert_eq!(s.session_user(&b1, 1, 100).unwrap(), Some(bob.id));
}
