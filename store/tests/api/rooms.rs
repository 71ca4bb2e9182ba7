use lanchat_store::{ConvKind, MessageKind, Role, StoreError};

use crate::{cid, store, user, Reads};

#[test]
fn general_exists_from_the_start() {
    let s = store();
    let general = s.general().unwrap();
    assert_eq!(general.name, "general");
    assert_eq!(general.kind, ConvKind::Room);
    assert_eq!(general.last_seq, 0);
    assert_eq!(s.room_by_name("GENERAL").unwrap(), Some(general));
}

#[test]
fn create_room_and_duplicate_name() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let room = s.create_room("Rust", alice.id, 10).unwrap();
    assert_eq!(room.name, "Rust");
    assert_eq!(room.created_ms, 10);
    assert_eq!(s.room_by_name("rust").unwrap(), Some(room.clone()));
    assert_eq!(s.conversation(room.id).unwrap(), Some(room.clone()));
    assert!(matches!(
        s.create_room("RUST", alice.id, 11),
        Err(StoreError::RoomExists)
    ));
    assert!(matches!(
        s.create_room("General", alice.id, 11),
        Err(StoreError::RoomExists)
    ));
    let m = s.membership(room.id, alice.id).unwrap().unwrap();
    assert_eq!(m.role, Role::Owner);

    let rooms = s.list_rooms(None, 100).unwrap();
    let names: Vec<_> = rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["general", "Rust"]);
    assert_eq!(rooms[1].members, 1);
    assert_eq!(rooms[0].members, 1);
}

#[test]
fn join_is_idempotent_and_starts_at_last_seq() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let room = s.create_room("rust", alice.id, 1).unwrap();
    s.append_message(room.id, alice.id, &cid(1), MessageKind::Text, "a", 2)
        .unwrap();
    s.append_message(room.id, alice.id, &cid(2), MessageKind::Text, "b", 3)
        .unwrap();
    assert!(s.join(room.id, bob.id, 4).unwrap());
    assert!(!s.join(room.id, bob.id, 5).unwrap());
    let m = s.membership(room.id, bob.id).unwrap().unwrap();
    assert_eq!((m.role, m.read_seq, m.joined_ms), (Role::Member, 2, 4));
    assert_eq!(s.member_ids(room.id).unwrap(), [alice.id, bob.id]);
    assert!(matches!(
        s.join(room.id + 100, bob.id, 5),
        Err(StoreError::NoSuchConversation)
    ));
}

#[test]
fn owner_leaving_hands_over_to_longest_standing_member() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let carol = user(&mut s, "carol", 0);
    let dave = user(&mut s, "dave", 0);
    let room = s.create_room("rust", alice.id, 1).unwrap();
    // carol and bob join at the same instant; carol was first.
    s.join(room.id, carol.id, 5).unwrap();
    s.join(room.id, bob.id, 5).unwrap();
    s.join(room.id, dave.id, 3).unwrap();
    s.set_role(room.id, bob.id, Role::Admin).unwrap();

    let members = s.members(room.id, 0, 100).unwrap();
    let order: Vec<_> = members.iter().map(|m| m.username.as_str()).collect();
    // Listed in the order rows were added (succession below goes by joined_ms).
    assert_eq!(order, ["alice", "carol", "bob", "dave"]);
    assert_eq!(members[2].role, Role::Admin);

    assert_eq!(s.leave(room.id, alice.id).unwrap(), Some(dave.id));
    assert_eq!(
        s.membership(room.id, dave.id).unwrap().unwrap().role,
        Role::Owner
    );
    assert!(matches!(
        s.leave(room.id, alice.id),
        Err(StoreError::NotMember)
    ));

    // A non-owner leaving changes no roles.
    assert_eq!(s.leave(room.id, bob.id).unwrap(), None);
    assert_eq!(s.leave(room.id, dave.id).unwrap(), Some(carol.id));
    assert_eq!(s.leave(room.id, carol.id).unwrap(), None);

    // The empty room and its history remain.
    let kept = s.room_by_name("rust").unwrap().unwrap();
    assert!(s.members(room.id, 0, 100).unwrap().is_empty());
    assert_eq!(s.list_rooms(None, 100).unwrap()[1].members, 0);
    assert!(matches!(
        s.create_room("rust", alice.id, 9),
        Err(StoreError::RoomExists)
    ));
    assert_eq!(kept.id, room.id);
}

#[test]
fn owner_leaving_with_another_owner_promotes_nobody() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let carol = user(&mut s, "carol", 0);
    let room = s.create_room("rust", alice.id, 1).unwrap();
    s.join(room.id, bob.id, 2).unwrap();
    s.join(room.id, carol.id, 3).unwrap();
    s.set_role(room.id, carol.id, Role::Owner).unwrap();
    assert_eq!(s.leave(room.id, alice.id).unwrap(), None);
    assert_eq!(
        s.membership(room.id, bob.id).unwrap().unwrap().role,
        Role::Member
    );
}

#[test]
fn set_role_and_topic_errors() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let room = s.create_room("rust", alice.id, 1).unwrap();
    assert!(matches!(
        s.set_role(room.id, bob.id, Role::Admin),
        Err(StoreError::NotMember)
    ));
    s.set_topic(room.id, "crabs").unwrap();
    assert_eq!(s.conversation(room.id).unwrap().unwrap().topic, "crabs");
    assert!(matches!(
        s.set_topic(room.id + 100, "x"),
        Err(StoreError::NoSuchConversation)
    ));
    assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
}

#[test]
fn dm_is_get_or_create_and_symmetric() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let ab = s.dm_conversation(alice.id, bob.id, 5).unwrap();
    let ba = s.dm_conversation(bob.id, alice.id, 6).unwrap();
    assert_eq!(ab, ba);
    assert_eq!(ab.kind, ConvKind::Dm);
    assert_eq!(s.member_ids(ab.id).unwrap(), [alice.id, bob.id]);

    let notes = s.dm_conversation(alice.id, alice.id, 7).unwrap();
    assert_ne!(notes.id, ab.id);
    assert_eq!(s.member_ids(notes.id).unwrap(), [alice.id]);
    assert_eq!(s.dm_conversation(alice.id, alice.id, 8).unwrap(), notes);

    // DMs are not rooms.
    assert!(s
        .list_rooms(None, 100)
        .unwrap()
        .iter()
        .all(|r| r.id != ab.id));
    assert!(matches!(
        s.dm_conversation(alice.id, bob.id + 100, 9),
        Err(StoreError::NoSuchUser)
    ));
}

#[test]
fn conversations_of_lists_rooms_and_dms_with_peers() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let carol = user(&mut s, "carol", 0);
    let room = s.create_room("rust", bob.id, 1).unwrap();
    s.join(room.id, alice.id, 2).unwrap();
    let with_carol = s.dm_conversation(carol.id, alice.id, 3).unwrap();
    let with_bob = s.dm_conversation(alice.id, bob.id, 3).unwrap();
    let notes = s.dm_conversation(alice.id, alice.id, 3).unwrap();
    s.create_room("other", bob.id, 4).unwrap();

    let list = s.conversations_of(alice.id).unwrap();
    let ids: Vec<_> = list.iter().map(|c| c.conv.id).collect();
    let general = s.general().unwrap();
    assert_eq!(
        ids,
        [general.id, room.id, notes.id, with_bob.id, with_carol.id]
    );
    let peers: Vec<_> = list.iter().map(|c| c.peer.as_deref()).collect();
    assert_eq!(
        peers,
        [None, None, Some("alice"), Some("bob"), Some("carol")]
    );
    assert_eq!(list[1].role, Role::Member);

    let carols: Vec<_> = s.conversations_of(carol.id).unwrap();
    assert_eq!(carols.len(), 2);
    assert_eq!(carols[1].peer.as_deref(), Some("alice"));
}
