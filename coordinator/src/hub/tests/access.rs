//! Rooms with boundaries, tried as an insider with a modified client would: every request a
//! raw client can send that names a private room, from someone neither a member nor invited.
use super::*;
use lanchat_net::protocol::{ChangeKind, ChangeRequest};

fn private(hub: &mut Hub, c: &Client, name: &str, full_history: bool) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::CreateRoom {
            name: name.into(),
            private: true,
            full_history,
        },
    )
}

fn invite(hub: &mut Hub, c: &Client, name: &str, who: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Invite {
            name: name.into(),
            user: who.into(),
        },
    )
}

fn ban(hub: &mut Hub, c: &Client, name: &str, who: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Ban {
            name: name.into(),
            user: who.into(),
        },
    )
}

fn rooms(hub: &mut Hub, c: &Client) -> Vec<(String, bool)> {
    match req(hub, c, Request::ListRooms { after: None }) {
        Ok(Reply::Rooms { rooms, .. }) => rooms.into_iter().map(|r| (r.name, r.private)).collect(),
        other => panic!("{other:?}"),
    }
}

fn search(hub: &mut Hub, c: &Client, words: &str) -> Vec<ChatMessage> {
    match req(
        hub,
        c,
        Request::Search {
            query: words.into(),
            limit: 50,
            before: None,
        },
    ) {
        Ok(Reply::SearchResults { messages, .. }) => messages,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_uninvited_user_cannot_tell_a_private_room_from_none() {
    let mut hub = hub();
    let (alice, mallory) = (user(&mut hub, "alice"), user(&mut hub, "mallory"));
    let a = connect(&mut hub, alice);
    let mut m = connect(&mut hub, mallory);
    private(&mut hub, &a, "board", false).unwrap();
    let secret = sent_seq(send(&mut hub, &a, room("board"), "acquisition of initech"));
    // Nothing reaches mallory, and every request naming #board gets what #nosuch gets.
    assert!(events(&mut m).is_empty());
    assert_eq!(rooms(&mut hub, &m), [("general".to_string(), false)]);
    assert!(search(&mut hub, &m, "initech").is_empty());
    let requests = |name: &str| -> Vec<Request> {
        let conv = room(name);
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
                reply_to: None,
            },
            Request::Change {
                conv: conv.clone(),
                id: MsgId::random(),
                target: Some(secret),
                change: ChangeRequest::React {
                    emoji: "👀".into()
                },
            },
            Request::MarkRead {
                conv: conv.clone(),
                seq: 1,
            },
            Request::SetMuted {
                conv: conv.clone(),
                muted: true,
            },
            Request::SetTopic {
                name: name.into(),
                topic: "mine".into(),
            },
            Request::LeaveRoom { name: name.into() },
            Request::Kick {
                name: name.into(),
                user: "alice".into(),
            },
            Request::Invite {
                name: name.into(),
                user: "mallory".into(),
            },
            Request::Ban {
                name: name.into(),
                user: "alice".into(),
            },
            Request::SetPrivate {
                name: name.into(),
                private: false,
            },
            Request::DeleteRoom { name: name.into() },
            Request::Typing { conv },
        ]
    };
    for (secret_room, missing) in requests("board").into_iter().zip(requests("nosuch")) {
        let what = format!("{secret_room:?}");
        let got = req(&mut hub, &m, secret_room).expect_err(&what).0;
        let none = req(&mut hub, &m, missing).expect_err(&what).0;
        assert_eq!(got.code, ErrorCode::NoSuchRoom, "{what}: {got:?}");
        assert_eq!(
            got.message.replace("board", "nosuch"),
            none.message,
            "{what}"
        );
    }
    assert!(
        events(&mut m).is_empty(),
        "and nothing was pushed to mallory"
    );
    // The room is untouched.
    let a_page = before(&mut hub, &a, room("board"), u64::MAX, 50);
    assert!(texts(&a_page).contains(&"acquisition of initech"));
}

#[test]
fn an_invited_member_reads_from_when_they_joined_unless_the_room_keeps_its_history() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    private(&mut hub, &a, "board", false).unwrap();
    let old = sent_seq(send(
        &mut hub,
        &a,
        room("board"),
        "salaries are confidential",
    ));
    invite(&mut hub, &a, "board", "bob").unwrap();
    assert_eq!(
        events(&mut b),
        [Event::Invited {
            room: "board".into(),
            by: "alice".into()
        }]
    );
    assert_eq!(rooms(&mut hub, &b)[0], ("board".to_string(), true));
    join(&mut hub, &b, "board").unwrap();
    drain(&mut b.rx);
    let new = sent_seq(send(&mut hub, &a, room("board"), "welcome bob"));
    // History, catch-up from the start and search: nothing from before bob joined.
    let page = before(&mut hub, &b, room("board"), u64::MAX, 50);
    assert!(page.iter().all(|m| m.seq > old), "{page:?}");
    assert!(texts(&page).contains(&"welcome bob"));
    assert!(after(&mut hub, &b, room("board"), 0, 50)
        .iter()
        .all(|m| m.seq > old));
    assert!(search(&mut hub, &b, "confidential").is_empty());
    // What points back at the old message says nothing of it: an edit, a reply's quote.
    drain(&mut b.rx);
    req(
        &mut hub,
        &a,
        Request::Change {
            conv: room("board"),
            id: MsgId::random(),
            target: Some(old),
            change: ChangeRequest::Edit {
                text: "salaries are confidential, really".into(),
            },
        },
    )
    .unwrap();
    req(
        &mut hub,
        &a,
        Request::Send {
            conv: room("board"),
            id: MsgId::random(),
            text: "as I said".into(),
            reply_to: Some(old),
        },
    )
    .unwrap();
    let got = messages(&mut b);
    let edit = got.iter().find(|m| m.kind == MessageKind::Change).unwrap();
    assert_eq!(edit.change.as_ref().unwrap().what, ChangeKind::Edited);
    assert!(edit.text.is_empty(), "{edit:?}");
    let answer = got.iter().find(|m| m.text == "as I said").unwrap();
    assert_eq!(answer.reply_to.as_ref().unwrap().text, "");
    // alice sees all of it.
    let page = after(&mut hub, &a, room("board"), new, 50);
    assert!(page[0].text.contains("really"));
    // bob cannot reach back either.
    refused(
        req(
            &mut hub,
            &b,
            Request::Send {
                conv: room("board"),
                id: MsgId::random(),
                text: "re".into(),
                reply_to: Some(old),
            },
        ),
        ErrorCode::NoSuchMessage,
        "no message",
    );
    // A room that keeps its history shows newcomers all of it.
    private(&mut hub, &a, "archive", true).unwrap();
    send(&mut hub, &a, room("archive"), "old minutes").unwrap();
    invite(&mut hub, &a, "archive", "bob").unwrap();
    join(&mut hub, &b, "archive").unwrap();
    assert!(texts(&before(&mut hub, &b, room("archive"), u64::MAX, 50)).contains(&"old minutes"));
}

#[test]
fn only_the_owner_and_admins_invite_into_a_private_room_and_a_kick_needs_a_new_invitation() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (a, b, c) = (
        connect(&mut hub, alice),
        connect(&mut hub, bob),
        connect(&mut hub, carol),
    );
    private(&mut hub, &a, "board", false).unwrap();
    invite(&mut hub, &a, "board", "bob").unwrap();
    join(&mut hub, &b, "board").unwrap();
    refused(
        invite(&mut hub, &b, "board", "carol"),
        ErrorCode::PermissionDenied,
        "only the owner and admins",
    );
    refused(
        join(&mut hub, &c, "board"),
        ErrorCode::NoSuchRoom,
        "private room needs an invitation",
    );
    kick(&mut hub, &a, "board", "bob").unwrap();
    refused(
        join(&mut hub, &b, "board"),
        ErrorCode::NoSuchRoom,
        "invitation",
    );
    refused(
        invite(&mut hub, &a, "board", "nobody"),
        ErrorCode::NoSuchUser,
        "@nobody",
    );
}

#[test]
fn a_banned_user_is_removed_and_cannot_rejoin_until_unbanned() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (a, mut b, c) = (
        connect(&mut hub, alice),
        connect(&mut hub, bob),
        connect(&mut hub, carol),
    );
    create(&mut hub, &a, "ops").unwrap();
    join(&mut hub, &b, "ops").unwrap();
    join(&mut hub, &c, "ops").unwrap();
    promote(&mut hub, &a, "ops", "carol").unwrap();
    drain(&mut b.rx);
    ban(&mut hub, &c, "ops", "bob").unwrap();
    assert!(events(&mut b).contains(&membership(
        "ops",
        "bob",
        MembershipChange::Banned { by: "carol".into() }
    )));
    let e = refused(
        join(&mut hub, &b, "ops"),
        ErrorCode::Banned,
        "banned from #ops",
    );
    assert!(e.message.contains("/unban"), "{e:?}");
    refused(
        send(&mut hub, &b, room("ops"), "hello?"),
        ErrorCode::NotMember,
        "not a member",
    );
    refused(
        invite(&mut hub, &a, "ops", "bob"),
        ErrorCode::Banned,
        "/unban them first",
    );
    // Not up the ranks, not oneself, not in #general.
    refused(
        ban(&mut hub, &c, "ops", "alice"),
        ErrorCode::PermissionDenied,
        "not below yours",
    );
    refused(
        ban(&mut hub, &a, "ops", "alice"),
        ErrorCode::BadRequest,
        "/leave",
    );
    refused(
        ban(&mut hub, &a, "general", "bob"),
        ErrorCode::PermissionDenied,
        "#general",
    );
    req(
        &mut hub,
        &a,
        Request::Unban {
            name: "ops".into(),
            user: "bob".into(),
        },
    )
    .unwrap();
    join(&mut hub, &b, "ops").unwrap();
}

#[test]
fn only_the_owner_makes_private_archives_and_deletes_and_everyone_is_told() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (a, mut b, c) = (
        connect(&mut hub, alice),
        connect(&mut hub, bob),
        connect(&mut hub, carol),
    );
    create(&mut hub, &a, "project").unwrap();
    join(&mut hub, &b, "project").unwrap();
    promote(&mut hub, &a, "project", "bob").unwrap();
    send(&mut hub, &b, room("project"), "plans").unwrap();
    for request in [
        Request::SetPrivate {
            name: "project".into(),
            private: true,
        },
        Request::SetArchived {
            name: "project".into(),
            archived: true,
        },
        Request::DeleteRoom {
            name: "project".into(),
        },
    ] {
        refused(
            req(&mut hub, &b, request),
            ErrorCode::PermissionDenied,
            "only the owner",
        );
    }
    drain(&mut b.rx);
    req(
        &mut hub,
        &a,
        Request::SetPrivate {
            name: "project".into(),
            private: true,
        },
    )
    .unwrap();
    let got = events(&mut b);
    assert!(got.contains(&Event::RoomChanged {
        room: "project".into(),
        private: true,
        archived: false,
        by: "alice".into()
    }));
    assert_eq!(rooms(&mut hub, &c), [("general".to_string(), false)]);
    assert!(summary_of(&summaries(&mut hub, &b), &room("project")).private);
    // bob joined while it was public: he still reads all of it.
    assert!(texts(&before(&mut hub, &b, room("project"), u64::MAX, 50)).contains(&"plans"));
    for name in ["general"] {
        for request in [
            Request::SetPrivate {
                name: name.into(),
                private: true,
            },
            Request::SetArchived {
                name: name.into(),
                archived: true,
            },
            Request::DeleteRoom { name: name.into() },
        ] {
            refused(
                req(&mut hub, &a, request),
                ErrorCode::PermissionDenied,
                "#general is everyone's",
            );
        }
    }
    drain(&mut b.rx);
    req(
        &mut hub,
        &a,
        Request::DeleteRoom {
            name: "project".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events(&mut b),
        [Event::RoomDeleted {
            room: "project".into(),
            by: "alice".into()
        }]
    );
    refused(
        req(
            &mut hub,
            &b,
            Request::After {
                conv: room("project"),
                after: 0,
                limit: 50,
            },
        ),
        ErrorCode::NoSuchRoom,
        "#project",
    );
    assert!(search(&mut hub, &b, "plans").is_empty());
    // The name is free: a new, empty room.
    create(&mut hub, &c, "project").unwrap();
    let page = before(&mut hub, &c, room("project"), u64::MAX, 50);
    assert_eq!(texts(&page), ["carol created #project"]);
}
