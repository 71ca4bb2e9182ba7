//! Edits, deletions, reactions, replies and mentions: who may, what the others receive, and
//! what history, search and unread counts show afterwards.
use super::*;
use lanchat_net::protocol::{ChangeKind, ChangeRequest};

fn change(
    hub: &mut Hub,
    c: &Client,
    conv: ConvRef,
    target: Option<u64>,
    change: ChangeRequest,
) -> Result<Reply, Refusal> {
    change_id(hub, c, conv, MsgId::random(), target, change)
}

fn change_id(
    hub: &mut Hub,
    c: &Client,
    conv: ConvRef,
    id: MsgId,
    target: Option<u64>,
    change: ChangeRequest,
) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Change {
            conv,
            id,
            target,
            change,
        },
    )
}

fn edit(text: &str) -> ChangeRequest {
    ChangeRequest::Edit { text: text.into() }
}

fn react(emoji: &str) -> ChangeRequest {
    ChangeRequest::React {
        emoji: emoji.into(),
    }
}

fn reply(hub: &mut Hub, c: &Client, conv: ConvRef, to: u64, text: &str) -> Result<Reply, Refusal> {
    req(
        hub,
        c,
        Request::Send {
            conv,
            id: MsgId::random(),
            text: text.into(),
            reply_to: Some(to),
        },
    )
}

/// The change entries pushed to `c`.
fn changes(c: &mut Client) -> Vec<ChatMessage> {
    messages(c)
        .into_iter()
        .filter(|m| m.kind == MessageKind::Change)
        .collect()
}

#[test]
fn an_edit_reaches_every_member_as_an_entry_and_history_and_search_follow_it() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    let seq = sent_seq(send(&mut hub, &a, room("general"), "meeting at 10"));
    drain(&mut b.rx);
    let id = MsgId::random();
    let at = sent_seq(change_id(
        &mut hub,
        &a,
        room("general"),
        id,
        None,
        edit("meeting at 11"),
    ));
    assert_eq!(at, seq + 1, "the edit is the next entry of the sequence");
    let [entry] = changes(&mut b).try_into().unwrap();
    assert_eq!(entry.seq, at);
    assert_eq!(entry.sender, "alice");
    let c = entry.change.unwrap();
    assert_eq!((c.target, c.what), (seq, ChangeKind::Edited));
    assert_eq!(entry.text, "meeting at 11");
    assert!(entry.edited);
    // A resend is answered with the same entry and changes nothing more.
    assert_eq!(
        sent_seq(change_id(
            &mut hub,
            &a,
            room("general"),
            id,
            None,
            edit("something else")
        )),
        at
    );
    assert!(changes(&mut b).is_empty());
    // Scrollback shows the message as it is now, and no entry for the change.
    let page = before(&mut hub, &b, room("general"), u64::MAX, 50);
    let last = page.last().unwrap();
    assert_eq!(
        (last.seq, last.text.as_str(), last.edited),
        (seq, "meeting at 11", true)
    );
    assert!(page.iter().all(|m| m.kind != MessageKind::Change));
    let search = |hub: &mut Hub, words: &str| match req(
        hub,
        &b,
        Request::Search {
            query: words.into(),
            limit: 10,
            before: None,
        },
    ) {
        Ok(Reply::SearchResults { messages, .. }) => seqs(&messages),
        other => panic!("{other:?}"),
    };
    assert_eq!(search(&mut hub, "11"), [seq]);
    assert!(search(&mut hub, "10").is_empty());
    // Only one's own text can be edited.
    refused(
        change(&mut hub, &b, room("general"), Some(seq), edit("mine now")),
        ErrorCode::PermissionDenied,
        "only your own",
    );
    refused(
        change(&mut hub, &b, room("general"), None, edit("x")),
        ErrorCode::NoSuchMessage,
        "no message",
    );
    refused(
        change(&mut hub, &a, room("general"), Some(999), edit("x")),
        ErrorCode::NoSuchMessage,
        "no message 999",
    );
    refused(
        change(&mut hub, &a, room("general"), Some(seq), edit(" ")),
        ErrorCode::BadRequest,
        "empty",
    );
}

#[test]
fn deletions_own_messages_and_any_in_a_room_one_moderates() {
    let mut hub = hub();
    let (alice, bob, carol) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (a, b, mut c) = (
        connect(&mut hub, alice),
        connect(&mut hub, bob),
        connect(&mut hub, carol),
    );
    create(&mut hub, &a, "ops").unwrap();
    join(&mut hub, &b, "ops").unwrap();
    join(&mut hub, &c, "ops").unwrap();
    let bobs = sent_seq(send(&mut hub, &b, room("ops"), "the password is hunter2"));
    let carols = sent_seq(send(&mut hub, &c, room("ops"), "oops"));
    refused(
        change(&mut hub, &c, room("ops"), Some(bobs), ChangeRequest::Delete),
        ErrorCode::PermissionDenied,
        "only your own",
    );
    sent_seq(change(
        &mut hub,
        &c,
        room("ops"),
        Some(carols),
        ChangeRequest::Delete,
    ));
    // alice owns #ops: anyone's message there.
    drain(&mut c.rx);
    sent_seq(change(
        &mut hub,
        &a,
        room("ops"),
        Some(bobs),
        ChangeRequest::Delete,
    ));
    let [entry] = changes(&mut c).try_into().unwrap();
    assert_eq!(entry.change.unwrap().what, ChangeKind::Deleted);
    assert!(entry.deleted && entry.text.is_empty());
    let page = before(&mut hub, &c, room("ops"), u64::MAX, 50);
    let shown: Vec<(u64, bool, &str)> = page
        .iter()
        .filter(|m| m.kind == MessageKind::Text)
        .map(|m| (m.seq, m.deleted, m.text.as_str()))
        .collect();
    assert_eq!(shown, [(bobs, true, ""), (carols, true, "")]);
    // Nothing more happens to a deleted message.
    refused(
        change(&mut hub, &b, room("ops"), Some(bobs), react("👍")),
        ErrorCode::NoSuchMessage,
        "deleted",
    );
    // In a direct conversation nobody moderates: only one's own.
    let dm_seq = sent_seq(send(&mut hub, &a, dm("bob"), "between us"));
    refused(
        change(
            &mut hub,
            &b,
            dm("alice"),
            Some(dm_seq),
            ChangeRequest::Delete,
        ),
        ErrorCode::PermissionDenied,
        "only your own",
    );
    // System lines are nobody's to change.
    refused(
        change(&mut hub, &a, room("ops"), Some(1), ChangeRequest::Delete),
        ErrorCode::NoSuchMessage,
        "no message 1",
    );
}

#[test]
fn reactions_toggle_and_every_member_sees_the_counts() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let (mut a, b) = (connect(&mut hub, alice), connect(&mut hub, bob));
    let seq = sent_seq(send(&mut hub, &a, room("general"), "release is out"));
    drain(&mut a.rx);
    sent_seq(change(
        &mut hub,
        &b,
        room("general"),
        Some(seq),
        react("🎉"),
    ));
    sent_seq(change(
        &mut hub,
        &a,
        room("general"),
        Some(seq),
        react("🎉"),
    ));
    sent_seq(change(
        &mut hub,
        &b,
        room("general"),
        Some(seq),
        react("👍"),
    ));
    sent_seq(change(
        &mut hub,
        &b,
        room("general"),
        Some(seq),
        react("🎉"),
    ));
    let got = changes(&mut a);
    let whats: Vec<ChangeKind> = got.iter().map(|m| m.change.clone().unwrap().what).collect();
    assert_eq!(
        whats,
        [
            ChangeKind::Reacted {
                emoji: "🎉".into(),
                added: true
            },
            ChangeKind::Reacted {
                emoji: "🎉".into(),
                added: true
            },
            ChangeKind::Reacted {
                emoji: "👍".into(),
                added: true
            },
            ChangeKind::Reacted {
                emoji: "🎉".into(),
                added: false
            },
        ]
    );
    let counts = |m: &ChatMessage| -> Vec<(String, u32)> {
        m.reactions
            .iter()
            .map(|r| (r.emoji.clone(), r.count))
            .collect()
    };
    assert_eq!(
        counts(got.last().unwrap()),
        [("🎉".to_string(), 1), ("👍".to_string(), 1)]
    );
    let page = after(&mut hub, &a, room("general"), seq - 1, 1);
    assert_eq!(counts(&page[0]), counts(got.last().unwrap()));
    for bad in ["", "two words", "\u{202E}x"] {
        refused(
            change(&mut hub, &b, room("general"), Some(seq), react(bad)),
            ErrorCode::BadRequest,
            "a reaction is one emoji",
        );
    }
    refused(
        change(&mut hub, &b, room("general"), None, react("👍")),
        ErrorCode::BadRequest,
        "say which message",
    );
}

#[test]
fn a_reply_carries_a_quote_of_what_it_answers() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let (a, mut b) = (connect(&mut hub, alice), connect(&mut hub, bob));
    let asked = sent_seq(send(&mut hub, &a, room("general"), "who has the keys?"));
    drain(&mut b.rx);
    let answer = sent_seq(reply(&mut hub, &a, room("general"), asked, "never mind"));
    let m = messages(&mut b).pop().unwrap();
    assert_eq!(m.seq, answer);
    let quote = m.reply_to.unwrap();
    assert_eq!(
        (quote.seq, quote.sender.as_str(), quote.text.as_str()),
        (asked, "alice", "who has the keys?")
    );
    refused(
        reply(&mut hub, &b, room("general"), 999, "hm"),
        ErrorCode::NoSuchMessage,
        "no message 999",
    );
    // The quote follows what it quotes.
    change(
        &mut hub,
        &a,
        room("general"),
        Some(asked),
        ChangeRequest::Delete,
    )
    .unwrap();
    let page = after(&mut hub, &b, room("general"), answer - 1, 1);
    let quote = page[0].reply_to.clone().unwrap();
    assert!(quote.deleted && quote.text.is_empty());
}

#[test]
fn mentions_are_read_from_the_text_and_counted_apart_even_when_muted() {
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
    req(
        &mut hub,
        &b,
        Request::SetMuted {
            conv: room("ops"),
            muted: true,
        },
    )
    .unwrap();
    req(
        &mut hub,
        &b,
        Request::MarkRead {
            conv: room("ops"),
            seq: u64::MAX,
        },
    )
    .unwrap();
    drain(&mut b.rx);
    send(&mut hub, &c, room("ops"), "@Bob, look (and @nobody)").unwrap();
    let m = messages(&mut b).pop().unwrap();
    assert_eq!(m.mentions, ["bob"]);
    assert!(m.mentions_user("bob") && !m.mentions_user("carol"));
    // @room: only from the owner and admins.
    send(&mut hub, &c, room("ops"), "@room lunch?").unwrap();
    assert!(!messages(&mut b).pop().unwrap().mentions_room);
    send(&mut hub, &a, room("ops"), "@room fire drill").unwrap();
    assert!(messages(&mut b).pop().unwrap().mentions_room);
    let s = summary_of(&summaries(&mut hub, &b), &room("ops"));
    assert!(s.muted);
    assert_eq!((s.unread, s.mentions), (3, 2));
    let s = summary_of(&summaries(&mut hub, &a), &room("ops"));
    assert_eq!(s.mentions, 0, "not by one's own @room");
}

/// A client that was offline while a message was edited and another deleted gets both
/// changes in its catch-up from its read cursor, in order, with the state as it is now.
#[test]
fn changes_reach_a_member_who_was_offline_through_catch_up() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    let first = sent_seq(send(&mut hub, &a, room("general"), "draft one"));
    let second = sent_seq(send(&mut hub, &a, room("general"), "draft two"));
    req(
        &mut hub,
        &b,
        Request::MarkRead {
            conv: room("general"),
            seq: second,
        },
    )
    .unwrap();
    hub.close_session(b.sid);
    change(
        &mut hub,
        &a,
        room("general"),
        Some(first),
        edit("final one"),
    )
    .unwrap();
    change(
        &mut hub,
        &a,
        room("general"),
        Some(second),
        ChangeRequest::Delete,
    )
    .unwrap();
    let b = connect(&mut hub, bob);
    let s = summary_of(&summaries(&mut hub, &b), &room("general"));
    assert_eq!(s.last_seq, second + 2);
    assert_eq!(s.unread, 0, "changes are not unread messages");
    let caught = after(&mut hub, &b, room("general"), s.read_seq, 50);
    let got: Vec<(u64, Option<ChangeKind>, &str)> = caught
        .iter()
        .map(|m| {
            (
                m.change.as_ref().map_or(0, |c| c.target),
                m.change.clone().map(|c| c.what),
                m.text.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (first, Some(ChangeKind::Edited), "final one"),
            (second, Some(ChangeKind::Deleted), ""),
        ]
    );
}

#[test]
fn an_archived_room_takes_no_change() {
    let mut hub = hub();
    let alice = user(&mut hub, "alice");
    let a = connect(&mut hub, alice);
    create(&mut hub, &a, "old").unwrap();
    let seq = sent_seq(send(&mut hub, &a, room("old"), "kept"));
    req(
        &mut hub,
        &a,
        Request::SetArchived {
            name: "old".into(),
            archived: true,
        },
    )
    .unwrap();
    for (what, result) in [
        ("send", send(&mut hub, &a, room("old"), "more")),
        (
            "edit",
            change(&mut hub, &a, room("old"), Some(seq), edit("changed")),
        ),
        (
            "react",
            change(&mut hub, &a, room("old"), Some(seq), react("👍")),
        ),
        (
            "delete",
            change(&mut hub, &a, room("old"), Some(seq), ChangeRequest::Delete),
        ),
    ] {
        let e = refused(result, ErrorCode::PermissionDenied, "archived");
        assert!(e.message.contains("#old"), "{what}: {e:?}");
    }
    assert_eq!(
        texts(&before(&mut hub, &a, room("old"), u64::MAX, 50))
            .into_iter()
            .filter(|t| *t == "kept")
            .count(),
        1
    );
}
