//! Private rooms, invitations, bans, archived and deleted rooms, and user settings.
use lanchat_store::{MessageKind, Settings, StoreError};

use crate::{cid, store, user, Reads};

fn names(rooms: Vec<lanchat_store::RoomListing>) -> Vec<String> {
    rooms.into_iter().map(|r| r.name).collect()
}

#[test]
fn a_private_room_is_listed_only_to_its_members_and_those_invited() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let carol = user(&mut s, "carol", 0);
    let board = s
        .create_room_with("board", alice.id, true, false, 1)
        .unwrap();
    s.create_room("lobby", bob.id, 1).unwrap();
    assert!(board.private && !board.full_history && !board.archived);
    assert_eq!(
        names(s.rooms_visible_to(alice.id, None, 10).unwrap()),
        ["board", "general", "lobby"]
    );
    assert_eq!(
        names(s.rooms_visible_to(bob.id, None, 10).unwrap()),
        ["general", "lobby"]
    );
    assert!(s.invite(board.id, bob.id, alice.id, 2).unwrap());
    assert!(!s.invite(board.id, bob.id, alice.id, 2).unwrap(), "once");
    assert!(s.is_invited(board.id, bob.id).unwrap());
    let listed = s.rooms_visible_to(bob.id, None, 10).unwrap();
    assert_eq!(names(listed.clone()), ["board", "general", "lobby"]);
    assert!(listed[0].private);
    // Joining uses the invitation up.
    s.join(board.id, bob.id, 3).unwrap();
    assert!(!s.is_invited(board.id, bob.id).unwrap());
    assert_eq!(
        names(s.rooms_visible_to(carol.id, None, 10).unwrap()),
        ["general", "lobby"]
    );
    // Everything, for whoever lists every room (not the coordinator's read side).
    assert_eq!(names(s.list_rooms(None, 10).unwrap()).len(), 3);
}

#[test]
fn new_members_of_a_private_room_read_from_when_they_joined_unless_it_keeps_its_history() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let board = s
        .create_room_with("board", alice.id, true, false, 1)
        .unwrap();
    let open = s.create_room_with("open", alice.id, true, true, 1).unwrap();
    for conv in [board.id, open.id] {
        for n in 1..=3u8 {
            let text = format!("before bob {n}");
            s.append_message(conv, alice.id, &cid(n), MessageKind::Text, &text, 2)
                .unwrap();
        }
        s.join(conv, bob.id, 3).unwrap();
        s.append_message(conv, alice.id, &cid(9), MessageKind::Text, "after bob", 4)
            .unwrap();
    }
    let since =
        |s: &lanchat_store::Store, conv| s.membership(conv, bob.id).unwrap().unwrap().since_seq;
    assert_eq!((since(&s, board.id), since(&s, open.id)), (3, 0));
    let page: Vec<String> = s
        .messages_before_since(board.id, u64::MAX >> 1, since(&s, board.id), 50)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(page, ["after bob"]);
    // Search: only what bob may read.
    let found: Vec<(i64, String)> = s
        .search(bob.id, "bob", None, 50)
        .unwrap()
        .into_iter()
        .map(|m| (m.conv_id, m.text))
        .collect();
    assert_eq!(found.iter().filter(|(c, _)| *c == board.id).count(), 1);
    assert_eq!(found.iter().filter(|(c, _)| *c == open.id).count(), 4);
    // Made public: everyone reads everything, as anyone joining could.
    s.set_private(board.id, false).unwrap();
    assert_eq!(since(&s, board.id), 0);
    assert_eq!(s.search(bob.id, "before", None, 50).unwrap().len(), 6);
    assert_eq!(
        s.member_floors(board.id).unwrap(),
        [(alice.id, 0), (bob.id, 0)]
    );
}

#[test]
fn a_ban_ends_the_membership_and_the_invitation() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let carol = user(&mut s, "carol", 0);
    let room = s.create_room("ops", alice.id, 1).unwrap();
    s.join(room.id, bob.id, 2).unwrap();
    s.invite(room.id, carol.id, alice.id, 2).unwrap();
    assert!(s.ban(room.id, bob.id, alice.id, 3).unwrap());
    assert!(
        !s.ban(room.id, carol.id, alice.id, 3).unwrap(),
        "not a member"
    );
    assert!(s.membership(room.id, bob.id).unwrap().is_none());
    assert!(!s.is_invited(room.id, carol.id).unwrap());
    assert!(s.is_banned(room.id, bob.id).unwrap() && s.is_banned(room.id, carol.id).unwrap());
    assert!(s.unban(room.id, bob.id).unwrap());
    assert!(!s.unban(room.id, bob.id).unwrap());
    assert!(!s.is_banned(room.id, bob.id).unwrap());
}

#[test]
fn archiving_is_a_flag_and_deleting_a_room_leaves_nothing_of_it() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let room = s.create_room("project", alice.id, 1).unwrap();
    s.join(room.id, bob.id, 1).unwrap();
    s.set_archived(room.id, true).unwrap();
    assert!(s.conversation(room.id).unwrap().unwrap().archived);
    assert!(s.rooms_visible_to(bob.id, None, 10).unwrap()[1].archived);
    s.set_archived(room.id, false).unwrap();
    s.append_message(room.id, alice.id, &cid(1), MessageKind::Text, "roadmap", 2)
        .unwrap();
    s.change_message(
        room.id,
        bob.id,
        &cid(1),
        1,
        lanchat_store::ChangeOp::React { emoji: "👍" },
        3,
    )
    .unwrap();
    s.share_file(room.id, alice.id, &cid(2), "roadmap.pdf", 3, &[1; 32], 4)
        .unwrap();
    s.share_file(
        s.general().unwrap().id,
        alice.id,
        &cid(3),
        "shared.pdf",
        3,
        &[2; 32],
        4,
    )
    .unwrap();
    s.share_file(room.id, alice.id, &cid(4), "shared.pdf", 3, &[2; 32], 4)
        .unwrap();
    let carol = user(&mut s, "carol", 0);
    s.invite(room.id, carol.id, alice.id, 4).unwrap();
    let unshared = s.delete_room(room.id).unwrap();
    assert_eq!(
        unshared,
        [[1; 32]],
        "the other file is still shared in #general"
    );
    assert!(s.conversation(room.id).unwrap().is_none());
    assert!(s.room_by_name("project").unwrap().is_none());
    assert!(s.search(alice.id, "roadmap", None, 10).unwrap().is_empty());
    assert_eq!(s.conversations_of(bob.id).unwrap().len(), 1);
    assert!(matches!(
        s.delete_room(room.id),
        Err(StoreError::NoSuchConversation)
    ));
    // #general is no room to delete by mistake either way: DMs are refused.
    let dm = s.dm_conversation(alice.id, bob.id, 5).unwrap();
    assert!(matches!(
        s.delete_room(dm.id),
        Err(StoreError::NoSuchConversation)
    ));
    // The name is free again, for a new room with nothing in it.
    let again = s.create_room("project", bob.id, 6).unwrap();
    assert_eq!(again.last_seq, 0);
    s.integrity_check().unwrap();
}

#[test]
fn settings_default_on_and_are_kept() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    assert_eq!(
        s.settings(alice.id).unwrap(),
        Settings {
            typing: true,
            receipts: true
        }
    );
    let off = Settings {
        typing: false,
        receipts: true,
    };
    s.set_settings(alice.id, off).unwrap();
    assert_eq!(s.settings(alice.id).unwrap(), off);
    assert!(matches!(s.settings(999), Err(StoreError::NoSuchUser)));
}

#[test]
fn a_direct_conversation_tells_how_far_the_other_person_read() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let dm = s.dm_conversation(alice.id, bob.id, 1).unwrap();
    s.append_message(dm.id, alice.id, &cid(1), MessageKind::Text, "hi", 2)
        .unwrap();
    s.append_message(dm.id, alice.id, &cid(2), MessageKind::Text, "there", 2)
        .unwrap();
    s.mark_read(dm.id, bob.id, 1).unwrap();
    let mine = s
        .conversations_of(alice.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == dm.id)
        .unwrap();
    assert_eq!(mine.peer_read, Some((1, true)));
    s.set_settings(
        bob.id,
        Settings {
            typing: true,
            receipts: false,
        },
    )
    .unwrap();
    let mine = s
        .conversations_of(alice.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == dm.id)
        .unwrap();
    assert_eq!(
        mine.peer_read,
        Some((1, false)),
        "the store tells; the coordinator decides"
    );
    let notes = s.dm_conversation(alice.id, alice.id, 3).unwrap();
    let own = s
        .conversations_of(alice.id)
        .unwrap()
        .into_iter()
        .find(|c| c.conv.id == notes.id)
        .unwrap();
    assert_eq!(own.peer_read, None);
}
