//! Rooms with boundaries (issue 13), against a real coordinator process: a private room is
//! invisible to whoever is not invited — through the engine, and through a modified client's
//! raw requests — a banned user cannot come back, an archived room takes nothing new, a
//! deleted one is gone for everyone.
use lanchat_client::{Command, Event, TransferKey};
use lanchat_net::protocol::{
    ChangeRequest, ConvRef, ErrorCode, MessageKind, MsgId, Reply, Request,
};

use crate::raw::logged_in;
use crate::support::*;

fn joined(c: &mut Client, name: &str) {
    c.wait(&format!("joined #{name}"), |e| {
        matches!(e, Event::Joined(s) if s.conv == room(name)).then_some(())
    });
}

fn rooms(c: &mut Client) -> Vec<String> {
    c.send(Command::ListRooms);
    c.wait("rooms", |e| match e {
        Event::Rooms(rooms) => Some(rooms.iter().map(|r| r.name.clone()).collect()),
        _ => None,
    })
}

fn search(c: &mut Client, words: &str) -> Vec<String> {
    c.send(Command::Search(words.into()));
    c.wait("search", |e| match e {
        Event::SearchResults { messages, .. } => {
            Some(messages.iter().map(|m| m.text.clone()).collect())
        }
        _ => None,
    })
}

/// The issue's test: "an uninvited user cannot join, list, read, search or fetch files of a
/// private room". Through the engine first, then as a modified client would try it, with raw
/// requests; every answer is the one a room that does not exist gets.
#[test]
fn an_uninvited_user_cannot_join_list_read_search_or_fetch_files_of_a_private_room() {
    let (lan, coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut mallory = Client::register(&lan, "mallory");
    alice.send(Command::CreatePrivateRoom {
        name: "board".into(),
        full_history: false,
    });
    joined(&mut alice, "board");
    alice.say_acked(&room("board"), "merger with initech on friday");
    let src = make_file(dir.path(), "terms.pdf", 4096, 7);
    alice.send(Command::ShareFile {
        conv: room("board"),
        path: src,
    });
    let file = alice.wait("the shared file", |e| match e {
        Event::Message { message, .. } if message.kind == MessageKind::File => message.file.clone(),
        _ => None,
    });

    // List, search: nothing. Join, read: the answer #nosuch gets.
    assert_eq!(rooms(&mut mallory), ["general"]);
    assert!(search(&mut mallory, "initech").is_empty());
    assert!(search(&mut mallory, "terms").is_empty());
    let refusal = |c: &mut Client, command: Command, answers: &str| {
        c.send(command);
        c.wait_error(answers)
    };
    let board = refusal(&mut mallory, Command::JoinRoom("board".into()), "join");
    let none = refusal(&mut mallory, Command::JoinRoom("nosuch".into()), "join");
    assert_eq!(board.0, Some(ErrorCode::NoSuchRoom));
    assert_eq!(board.1.replace("board", "nosuch"), none.1);
    for (conv, answers) in [(room("board"), "history"), (room("nosuch"), "history")] {
        let (code, _) = refusal(
            &mut mallory,
            Command::History {
                conv,
                before: None,
                limit: 20,
            },
            answers,
        );
        assert_eq!(code, Some(ErrorCode::NoSuchRoom));
    }
    let (code, _) = refusal(&mut mallory, Command::Members("board".into()), "members");
    assert_eq!(code, Some(ErrorCode::NoSuchRoom));
    mallory.send(Command::Download {
        file: file.id,
        dir: dir.path().join("mallory-in"),
    });
    let reason = mallory.wait("download refused", |e| match e {
        Event::TransferFailed {
            key: TransferKey::Download(id),
            reason,
            ..
        } if *id == file.id => Some(reason.clone()),
        _ => None,
    });
    assert!(reason.contains("not in"), "{reason}");
    assert!(!dir.path().join("mallory-in").join("terms.pdf").exists());

    // A modified client: raw requests naming #board, each answered as for #nosuch.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut raw, _) = logged_in(&coord, "mallory", false).await;
        let asks = |name: &str| -> Vec<Request> {
            let conv = ConvRef::Room(name.into());
            vec![
                Request::JoinRoom { name: name.into() },
                Request::After {
                    conv: conv.clone(),
                    after: 0,
                    limit: 50,
                },
                Request::Before {
                    conv: conv.clone(),
                    before: u64::MAX,
                    limit: 50,
                },
                Request::Members {
                    name: name.into(),
                    after: 0,
                },
                Request::Send {
                    conv: conv.clone(),
                    id: MsgId::random(),
                    text: "let me in".into(),
                    reply_to: Some(1),
                },
                Request::Change {
                    conv: conv.clone(),
                    id: MsgId::random(),
                    target: Some(2),
                    change: ChangeRequest::React {
                        emoji: "👀".into()
                    },
                },
                Request::MarkRead {
                    conv: conv.clone(),
                    seq: 5,
                },
                Request::Typing { conv: conv.clone() },
                Request::SetTopic {
                    name: name.into(),
                    topic: "mine".into(),
                },
                Request::Invite {
                    name: name.into(),
                    user: "mallory".into(),
                },
                Request::DeleteRoom { name: name.into() },
                Request::ShareFile {
                    conv,
                    id: MsgId::random(),
                    name: "x.bin".into(),
                    size: 1,
                    hash: [1; 32],
                },
            ]
        };
        for (secret, missing) in asks("board").into_iter().zip(asks("nosuch")) {
            let what = format!("{secret:?}");
            let got = raw.ask(secret).await.expect_err(&what);
            let none = raw.ask(missing).await.expect_err(&what);
            assert_eq!(got.code, ErrorCode::NoSuchRoom, "{what}: {got:?}");
            assert_eq!(
                got.message.replace("board", "nosuch"),
                none.message,
                "{what}"
            );
        }
        match raw.ask(Request::ListRooms { after: None }).await {
            Ok(Reply::Rooms { rooms, .. }) => {
                assert!(rooms.iter().all(|r| r.name != "board"), "{rooms:?}")
            }
            other => panic!("{other:?}"),
        }
        match raw
            .ask(Request::Search {
                query: "initech".into(),
                limit: 50,
                before: None,
            })
            .await
        {
            Ok(Reply::SearchResults { messages, .. }) => assert!(messages.is_empty()),
            other => panic!("{other:?}"),
        }
    });

    // Invited, mallory joins and reads from then on: not the message from before.
    alice.send(Command::Invite {
        room: "board".into(),
        user: "mallory".into(),
    });
    mallory.wait("invited", |e| {
        matches!(e, Event::Invited { room, by } if room == "board" && by == "alice").then_some(())
    });
    assert_eq!(rooms(&mut mallory), ["board", "general"]);
    mallory.send(Command::JoinRoom("board".into()));
    joined(&mut mallory, "board");
    alice.say_acked(&room("board"), "welcome mallory");
    mallory.send(Command::History {
        conv: room("board"),
        before: None,
        limit: 50,
    });
    let history: Vec<String> = mallory.wait("history", |e| match e {
        Event::History { messages, .. } => Some(messages.iter().map(|m| m.text.clone()).collect()),
        _ => None,
    });
    assert!(
        history.contains(&"welcome mallory".to_string()),
        "{history:?}"
    );
    assert!(
        !history.iter().any(|t| t.contains("initech")),
        "{history:?}"
    );
    assert!(search(&mut mallory, "initech").is_empty());
}

/// "A banned user cannot rejoin, and gets a clear error saying so."
#[test]
fn a_banned_user_cannot_rejoin_until_unbanned() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.send(Command::CreateRoom("ops".into()));
    joined(&mut alice, "ops");
    bob.send(Command::JoinRoom("ops".into()));
    joined(&mut bob, "ops");
    alice.send(Command::Ban {
        room: "ops".into(),
        user: "bob".into(),
    });
    bob.wait("banned", |e| {
        matches!(e, Event::Membership { room, user, change: lanchat_net::protocol::MembershipChange::Banned { by } }
            if room == "ops" && user == "bob" && by == "alice")
        .then_some(())
    });
    bob.send(Command::JoinRoom("ops".into()));
    let (code, message) = bob.wait_error("join");
    assert_eq!(code, Some(ErrorCode::Banned));
    assert!(message.contains("banned from #ops"), "{message}");
    bob.say(&room("ops"), "hello?");
    assert_eq!(bob.wait_error("send").0, Some(ErrorCode::NotMember));
    alice.send(Command::Unban {
        room: "ops".into(),
        user: "bob".into(),
    });
    alice.wait("unbanned", |e| {
        matches!(e, Event::Done { command } if command == "unban").then_some(())
    });
    bob.send(Command::JoinRoom("ops".into()));
    joined(&mut bob, "ops");
}

/// An archived room is read-only, with its history; a deleted one is gone for everyone, and
/// only its owner can do either.
#[test]
fn archived_rooms_are_read_only_and_deleted_ones_are_gone() {
    let (lan, _coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.send(Command::CreateRoom("project".into()));
    joined(&mut alice, "project");
    bob.send(Command::JoinRoom("project".into()));
    joined(&mut bob, "project");
    alice.say_acked(&room("project"), "the plan");
    bob.send(Command::SetArchived {
        room: "project".into(),
        archived: true,
    });
    let (code, message) = bob.wait_error("archive");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));
    assert!(message.contains("only the owner"), "{message}");
    alice.send(Command::SetArchived {
        room: "project".into(),
        archived: true,
    });
    bob.wait("archived", |e| {
        matches!(e, Event::RoomChanged { room, archived: true, .. } if room == "project")
            .then_some(())
    });
    bob.say(&room("project"), "one more thing");
    let (code, message) = bob.wait_error("send");
    assert_eq!(code, Some(ErrorCode::PermissionDenied));
    assert!(message.contains("archived"), "{message}");
    bob.send(Command::History {
        conv: room("project"),
        before: None,
        limit: 50,
    });
    bob.wait("history kept", |e| match e {
        Event::History { messages, .. } => {
            messages.iter().any(|m| m.text == "the plan").then_some(())
        }
        _ => None,
    });
    alice.send(Command::DeleteRoom("project".into()));
    bob.wait("deleted", |e| {
        matches!(e, Event::RoomDeleted { room, by } if room == "project" && by == "alice")
            .then_some(())
    });
    assert_eq!(rooms(&mut bob), ["general"]);
    assert!(search(&mut bob, "plan").is_empty());
}
