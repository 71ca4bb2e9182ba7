use lanchat_store::{Credential, Role, StoreError};

use crate::{store, user, Reads};

#[test]
fn create_and_look_up_user() {
    let mut s = store();
    let alice = s.create_user("Alice", "Alice A.", "h1", 100).unwrap();
    assert_eq!(alice.username, "Alice");
    assert_eq!(alice.display, "Alice A.");
    assert_eq!(alice.created_ms, 100);

    let (found, hash) = s.user_by_name("aLICE").unwrap().unwrap();
    assert_eq!(found, alice);
    assert_eq!(hash, "h1");
    assert_eq!(s.user_by_id(alice.id).unwrap(), Some(alice.clone()));
    assert_eq!(s.user_by_name("bob").unwrap(), None);
    assert_eq!(s.user_by_id(alice.id + 100).unwrap(), None);
}

#[test]
fn duplicate_username_is_rejected_case_insensitively() {
    let mut s = store();
    user(&mut s, "alice", 1);
    assert!(matches!(
        s.create_user("ALICE", "x", "h", 2),
        Err(StoreError::UsernameTaken)
    ));
    assert!(matches!(
        s.create_user("alice", "x", "h", 2),
        Err(StoreError::UsernameTaken)
    ));
    assert_eq!(s.list_users(None, 100).unwrap().len(), 1);
    // The failed attempts must not have added stray members to general.
    assert_eq!(s.member_ids(s.general().unwrap().id).unwrap().len(), 1);
}

/// The attack of issue 12: `aIice` (capital I) registered beside `alice`.
#[test]
fn look_alike_usernames_are_refused_naming_the_existing_one() {
    let mut s = store();
    user(&mut s, "alice", 1);
    user(&mut s, "mallory", 1);
    for (name, existing) in [
        ("aIice", "alice"),
        ("a1ice", "alice"),
        ("AIice", "alice"),
        ("rnallory", "mallory"),
    ] {
        match s.create_user(name, name, "h", 2) {
            Err(StoreError::UsernameLooksLike { existing: e }) => assert_eq!(e, existing, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(s.list_users(None, 100).unwrap().len(), 2);
    assert_eq!(s.member_ids(s.general().unwrap().id).unwrap().len(), 2);
    // Different names still get in, and a display name can be checked against usernames.
    user(&mut s, "alicia", 3);
    let like = |name: &str| -> Vec<String> {
        let users = s.users_looking_like(name).unwrap();
        users.into_iter().map(|u| u.username).collect()
    };
    assert_eq!(like("ALICE"), ["alice"]);
    assert_eq!(like("\u{0430}lice"), ["alice"]);
    assert!(like("Alice Martin").is_empty());
}

#[test]
fn list_users_is_ordered_by_username() {
    let mut s = store();
    for name in ["carol", "Bob", "alice"] {
        user(&mut s, name, 1);
    }
    let names: Vec<_> = s
        .list_users(None, 100)
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "Bob", "carol"]);
}

#[test]
fn new_user_joins_general_with_nothing_unread() {
    let mut s = store();
    let alice = user(&mut s, "alice", 1);
    let general = s.general().unwrap();
    for n in 0..3 {
        s.append_message(
            general.id,
            alice.id,
            &[n; 16],
            lanchat_store::MessageKind::Text,
            "hi",
            2,
        )
        .unwrap();
    }
    let bob = user(&mut s, "bob", 5);
    let m = s.membership(general.id, bob.id).unwrap().unwrap();
    assert_eq!(m.role, Role::Member);
    assert_eq!(m.read_seq, 3);
    assert_eq!(m.joined_ms, 5);
    assert!(!m.muted);
}

#[test]
fn update_password_and_display() {
    let mut s = store();
    let alice = user(&mut s, "alice", 1);
    s.set_password_hash(alice.id, "new").unwrap();
    s.set_display(alice.id, "Queen Alice").unwrap();
    let (u, hash) = s.user_by_name("alice").unwrap().unwrap();
    assert_eq!(hash, "new");
    assert_eq!(u.display, "Queen Alice");
    assert!(matches!(
        s.set_display(alice.id + 1, "x"),
        Err(StoreError::NoSuchUser)
    ));
}

#[test]
fn opaque_records_and_the_upgrade_of_a_legacy_account() {
    let mut s = store();
    let bob = s.create_opaque_user("bob", "bob", &[7; 192], 1).unwrap();
    assert_eq!(
        s.credential("BOB").unwrap(),
        Some((bob.clone(), Credential::Opaque(vec![7; 192])))
    );
    // Before OPAQUE: only a hash; the upgrade keeps the record and forgets the hash.
    let carol = s.create_user("carol", "carol", "$argon2id$old", 2).unwrap();
    assert_eq!(
        s.credential("carol").unwrap().map(|(_, c)| c),
        Some(Credential::Legacy("$argon2id$old".into()))
    );
    s.set_opaque_record(carol.id, &[9; 192]).unwrap();
    assert_eq!(
        s.credential("carol").unwrap().map(|(_, c)| c),
        Some(Credential::Opaque(vec![9; 192]))
    );
    assert_eq!(s.user_by_name("carol").unwrap().unwrap().1, "");
    assert_eq!(s.credential("nobody").unwrap(), None);
    assert!(matches!(
        s.set_opaque_record(carol.id + 100, &[1]),
        Err(StoreError::NoSuchUser)
    ));
}
