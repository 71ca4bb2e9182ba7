//! Group commit: each message of a batch answered in order, refusals within a batch, and a full
//! disk that refuses a whole batch while the hub goes on.
use super::*;

#[test]
fn a_full_disk_refuses_the_whole_batch_delivers_nothing_and_the_hub_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Hub::new(Store::open(&dir.path().join("full.db")).unwrap());
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    drain(&mut b.rx);
    hub.store().cap_size(0).unwrap();
    // Fill what room the last pages have left, until a message is refused.
    let mut stored = 0u64;
    let text = "x".repeat(2000);
    let refused = loop {
        match send(&mut hub, &a, room("general"), &text) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 10_000, "the capped database never filled");
    };
    assert_eq!(refused.0.code, ErrorCode::Internal);
    assert!(refused.0.message.contains("full"), "{}", refused.0.message);
    assert_eq!(
        messages(&mut b).len() as u64,
        stored,
        "the refused one was not delivered"
    );

    // A batch of three when the disk is full: all refused, none delivered or stored.
    let batch = (0..3)
        .map(|i| pending(&a, room("general"), &format!("{i} {text}")))
        .collect();
    let results = hub.send_batch(batch, now_ms());
    assert_eq!(results.len(), 3);
    for r in &results {
        let e = r.as_ref().expect_err("nothing may be acknowledged");
        assert!(e.0.message.contains("full"), "{}", e.0.message);
    }
    assert!(messages(&mut b).is_empty());

    // The hub goes on: reads work, and once there is room again the next message gets the
    // next seq (nothing was half-stored).
    let summaries = req(&mut hub, &b, Request::Summaries);
    assert!(summaries.is_ok(), "{summaries:?}");
    hub.store().cap_size(1000).unwrap();
    let seq = sent_seq(send(&mut hub, &a, room("general"), "room again"));
    let general = hub.store().general().unwrap().id;
    let history = hub.store().messages_after(general, 0, 10_000).unwrap();
    assert_eq!(history.last().map(|m| m.seq), Some(seq));
    let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=seq).collect::<Vec<_>>(),
        "no gap, no half-stored message"
    );
    assert_eq!(messages(&mut b).len(), 1);
}

#[test]
fn a_batch_answers_each_message_in_order_and_delivers_only_the_stored_ones() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    create(&mut hub, &a, "private").unwrap();
    drain(&mut b.rx);
    let results = hub.send_batch(
        vec![
            pending(&a, room("general"), "one"),
            // Bob is not in #private: refused, and the others still go through.
            pending(&b, room("private"), "intrusion"),
            pending(&b, room("general"), "two"),
            pending(&a, room("general"), "   "),
            pending(&a, room("general"), "three"),
        ],
        now_ms(),
    );
    let seqs: Vec<Option<u64>> = results
        .iter()
        .map(|r| match r {
            Ok(Reply::Sent { seq, .. }) => Some(*seq),
            _ => None,
        })
        .collect();
    let general_last = seqs[0].unwrap();
    assert_eq!(
        seqs,
        [
            Some(general_last),
            None,
            Some(general_last + 1),
            None,
            Some(general_last + 2)
        ]
    );
    assert_eq!(
        results[1].as_ref().unwrap_err().0.code,
        ErrorCode::NotMember
    );
    assert_eq!(
        results[3].as_ref().unwrap_err().0.code,
        ErrorCode::BadRequest
    );
    let texts: Vec<String> = messages(&mut b).into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["one", "two", "three"]);
}
