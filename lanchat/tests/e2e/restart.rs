//! The coordinator restarts mid-conversation (on a new port): clients find it again, resend
//! what was not acknowledged, and catch up with no gaps and no duplicates.
use lanchat_client::Event;
use lanchat_net::protocol::MessageKind;

use crate::support::*;

#[test]
fn coordinator_restart_loses_and_duplicates_nothing() {
    let (lan, coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    for i in 0..20 {
        alice.say(&general(), &format!("before {i}"));
    }
    bob.wait_message("before 19");
    let old_addr = coord.addr;
    // Restart while alice keeps talking: some of these go out while the coordinator is down.
    let restarter = std::thread::spawn(move || coord.restart());
    for i in 0..20 {
        alice.say(&general(), &format!("during {i}"));
    }
    let coord = restarter.join().unwrap();
    assert_ne!(
        coord.addr, old_addr,
        "the coordinator came back on another port"
    );
    for i in 0..20 {
        alice.say(&general(), &format!("after {i}"));
    }
    bob.wait_message("after 19");
    alice.wait_message("after 19");
    for c in [&alice, &bob] {
        let texts: Vec<String> = c
            .messages()
            .into_iter()
            .filter(|m| m.conv == general() && m.kind == MessageKind::Text)
            .map(|m| m.text)
            .collect();
        let expected: Vec<String> = ["before", "during", "after"]
            .iter()
            .flat_map(|p| (0..20).map(move |i| format!("{p} {i}")))
            .collect();
        assert_eq!(
            texts, expected,
            "{} saw gaps, duplicates or reordering",
            c.name
        );
        let seqs: Vec<u64> = c
            .messages()
            .into_iter()
            .filter(|m| m.conv == general())
            .map(|m| m.seq)
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{}: {seqs:?}",
            c.name
        );
    }
    assert!(bob
        .seen
        .iter()
        .any(|e| matches!(e, Event::Disconnected { .. })));
    assert!(bob
        .seen
        .iter()
        .any(|e| matches!(e, Event::LoggedIn { resumed: true, .. })));
}
