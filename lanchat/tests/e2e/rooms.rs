//! Rooms: create, list, join, topic, kick, promote, owner succession, and the errors.
use lanchat_client::{Command, Event};
use lanchat_net::protocol::{ErrorCode, MembershipChange, Role};

use crate::support::*;

fn joined(c: &mut Client, name: &str) -> lanchat_net::protocol::ConvSummary {
    c.wait(&format!("joined #{name}"), |e| match e {
        Event::Joined(s) if s.conv == room(name) => Some(s.clone()),
        _ => None,
    })
}

#[test]
fn create_join_kick_promote_and_succession() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let mut carol = Client::register(&lan, "carol");

    alice.send(Command::CreateRoom("#Dev".into()));
    assert_eq!(joined(&mut alice, "dev").role, Role::Owner);
    alice.send(Command::CreateRoom("dev".into()));
    let (code, _) = alice.wait_error("join");
    assert_eq!(code, Some(ErrorCode::RoomExists));

    // bob is not a member yet: posting is refused with the way in.
    bob.say(&room("dev"), "let me in");
    let (code, message) = bob.wait_error("send");
    assert_eq!(code, Some(ErrorCode::NotMember));
    assert!(message.contains("/join #dev"), "{message}");
    bob.send(Command::JoinRoom("nosuch".into()));
    let (code, message) = bob.wait_error("join");
    assert_eq!(code, Some(ErrorCode::NoSuchRoom));
    assert!(message.contains("#nosuch"), "{message}");

    bob.send(Command::JoinRoom("dev".into()));
    assert_eq!(joined(&mut bob, "dev").role, Role::Member);
    carol.send(Command::JoinRoom("dev".into()));
    joined(&mut carol, "dev");
    alice.wait_message("carol joined");

    bob.send(Command::ListRooms);
    let rooms = bob.wait("rooms", |e| match e {
        Event::Rooms(r) => Some(r.clone()),
        _ => None,
    });
    let dev = rooms.iter().find(|r| r.name == "dev").unwrap();
    assert_eq!(dev.members, 3);
    assert!(rooms.iter().any(|r| r.name == "general" && r.members == 3));

    // A plain member can neither kick nor promote.
    bob.send(Command::Kick {
        room: "dev".into(),
        user: "carol".into(),
    });
    let (code, _) = bob.wait_error("kick");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));
    bob.send(Command::Promote {
        room: "dev".into(),
        user: "carol".into(),
    });
    let (code, _) = bob.wait_error("promote");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));

    // Topic: owner may.
    alice.send(Command::SetTopic {
        room: "dev".into(),
        topic: "ship it".into(),
    });
    bob.wait("topic", |e| match e {
        Event::Topic { room, topic, by }
            if room == "dev" && topic == "ship it" && by == "alice" =>
        {
            Some(())
        }
        _ => None,
    });

    // The owner promotes bob; bob (now admin) kicks carol.
    alice.send(Command::Promote {
        room: "dev".into(),
        user: "bob".into(),
    });
    bob.wait("promoted", |e| match e {
        Event::Membership {
            room,
            user,
            change: MembershipChange::Promoted { .. },
        } if room == "dev" && user == "bob" => Some(()),
        _ => None,
    });
    bob.send(Command::Kick {
        room: "dev".into(),
        user: "carol".into(),
    });
    carol.wait("kicked", |e| match e {
        Event::Membership {
            room,
            user,
            change: MembershipChange::Kicked { by },
        } if room == "dev" && user == "carol" && by == "bob" => Some(()),
        _ => None,
    });
    carol.say(&room("dev"), "still here?");
    let (code, _) = carol.wait_error("send");
    assert_eq!(code, Some(ErrorCode::NotMember));
    // An admin cannot kick the owner.
    bob.send(Command::Kick {
        room: "dev".into(),
        user: "alice".into(),
    });
    let (code, _) = bob.wait_error("kick");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));

    // carol rejoins (after bob) so bob is the longest-standing member when alice leaves.
    carol.send(Command::JoinRoom("dev".into()));
    joined(&mut carol, "dev");
    alice.send(Command::LeaveRoom("dev".into()));
    carol.wait("succession", |e| match e {
        Event::Membership {
            room,
            user,
            change: MembershipChange::Owner,
        } if room == "dev" && user == "bob" => Some(()),
        _ => None,
    });
    bob.wait_message("bob is now the owner");
    bob.send(Command::Members("dev".into()));
    let members = bob.wait("members", |e| match e {
        Event::Members { members, .. } => Some(members.clone()),
        _ => None,
    });
    let roles: Vec<(String, Role)> = members
        .iter()
        .map(|m| (m.username.clone(), m.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("bob".to_string(), Role::Owner),
            ("carol".to_string(), Role::Member)
        ]
    );

    // Everyone stays in #general.
    bob.send(Command::LeaveRoom("general".into()));
    let (code, _) = bob.wait_error("leave");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));
}

#[test]
fn messages_in_a_room_reach_members_only() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let mut carol = Client::register(&lan, "carol");
    alice.send(Command::CreateRoom("ops".into()));
    joined(&mut alice, "ops");
    bob.send(Command::JoinRoom("ops".into()));
    joined(&mut bob, "ops");
    alice.say_acked(&room("ops"), "deploy at noon");
    bob.wait_message("deploy at noon");
    // carol hears #general but not #ops.
    alice.say_acked(&general(), "lunch?");
    carol.wait_message("lunch?");
    assert!(!carol.messages().iter().any(|m| m.text == "deploy at noon"));
}
