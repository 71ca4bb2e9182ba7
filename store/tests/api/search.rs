use lanchat_store::MessageKind;

use crate::{cid, store, user, Reads};

#[test]
fn search_finds_text_in_member_conversations_newest_first() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let bob = user(&mut s, "bob", 0);
    let g = s.general().unwrap().id;
    let secret = s.create_room("secret", bob.id, 0).unwrap().id;
    let dm = s.dm_conversation(alice.id, bob.id, 0).unwrap().id;

    s.append_message(
        g,
        alice.id,
        &cid(1),
        MessageKind::Text,
        "Deploy the Server today",
        10,
    )
    .unwrap();
    s.append_message(
        secret,
        bob.id,
        &cid(2),
        MessageKind::Text,
        "server password",
        20,
    )
    .unwrap();
    s.append_message(
        dm,
        bob.id,
        &cid(3),
        MessageKind::Text,
        "the server is down",
        30,
    )
    .unwrap();
    s.append_message(
        g,
        bob.id,
        &cid(4),
        MessageKind::System,
        "server restarted",
        40,
    )
    .unwrap();
    s.append_message(g, bob.id, &cid(5), MessageKind::Text, "lunch?", 50)
        .unwrap();

    let hits = s.search(alice.id, "SERVER", None, 10).unwrap();
    let texts: Vec<_> = hits.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["the server is down", "Deploy the Server today"]);

    // Bob sees his private room too; every word must match.
    let texts: Vec<_> = s
        .search(bob.id, "server the", None, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["the server is down", "Deploy the Server today"]);
    assert_eq!(s.search(bob.id, "server", None, 10).unwrap().len(), 3);
    assert_eq!(s.search(bob.id, "server", None, 1).unwrap()[0].ts_ms, 30);

    // Leaving a conversation removes it from search.
    s.leave(dm, alice.id).unwrap();
    assert_eq!(s.search(alice.id, "server", None, 10).unwrap().len(), 1);
}

#[test]
fn ties_on_timestamp_order_by_seq_desc() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    for n in 1..=3u8 {
        s.append_message(g, alice.id, &cid(n), MessageKind::Text, "same", 7)
            .unwrap();
    }
    let seqs: Vec<_> = s
        .search(alice.id, "same", None, 10)
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, [3, 2, 1]);
}

#[test]
fn hostile_queries_are_plain_words() {
    let mut s = store();
    let alice = user(&mut s, "alice", 0);
    let g = s.general().unwrap().id;
    s.append_message(
        g,
        alice.id,
        &cid(1),
        MessageKind::Text,
        "cats AND dogs NEAR here",
        1,
    )
    .unwrap();
    s.append_message(
        g,
        alice.id,
        &cid(2),
        MessageKind::Text,
        "say \"quoted\" text:here",
        2,
    )
    .unwrap();
    for q in [
        "\"",
        "\"\"",
        "AND (",
        "*",
        "NEAR(",
        "NEAR(a b",
        "text:",
        "OR",
        "NOT",
        "^",
        "-x",
        "a\"b",
        "(((",
        ")",
        "{text}: x",
        "\u{0}",
        "é*",
    ] {
        assert!(
            s.search(alice.id, q, None, 10).is_ok(),
            "query {q:?} failed"
        );
    }
    // Operators are searched for as words, not interpreted.
    assert_eq!(s.search(alice.id, "AND", None, 10).unwrap().len(), 1);
    assert_eq!(
        s.search(alice.id, "cats OR nothing", None, 10)
            .unwrap()
            .len(),
        0
    );
    assert_eq!(s.search(alice.id, "\"quoted\"", None, 10).unwrap().len(), 1);
    assert_eq!(s.search(alice.id, "text:here", None, 10).unwrap().len(), 1);
    // Words without any token characters match nothing rather than everything.
    assert!(s.search(alice.id, "*", None, 10).unwrap().is_empty());
    assert!(s.search(alice.id, "\" (", None, 10).unwrap().is_empty());
    assert!(s.search(alice.id, "   ", None, 10).unwrap().is_empty());
    assert!(s.search(alice.id, "", None, 10).unwrap().is_empty());
}
