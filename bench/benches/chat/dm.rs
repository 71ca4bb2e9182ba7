//! The DM round trip alice → bob → alice through the coordinator, between two client engines
//! driven the way a front end drives them (commands in, events out).

use std::thread;
use std::time::{Duration, Instant};

use lanchat_client::Event;

use crate::engine::{register, send_dm, wait_for, wait_message_from, Lan};
use crate::rounds::{paced_rounds, MEASURED_ROUNDS, WARMUP_ROUNDS};

pub fn measure(lan: &Lan) -> Vec<Duration> {
    let alice = register(lan, "alice");
    let bob = register(lan, "bob");

    // Bob answers every message from alice on his own thread, as a second user would.
    let rounds = WARMUP_ROUNDS + MEASURED_ROUNDS;
    let bob_thread = thread::spawn(move || {
        let mut last = None;
        for _ in 0..rounds {
            let text = wait_message_from(&bob.engine, "alice");
            last = Some(send_dm(&bob.engine, "alice", format!("re: {text}")));
        }
        // Shutdown stops the engine at once, so wait until the last reply was stored.
        wait_for(&bob.engine, "last acknowledgement", |e| match e {
            Event::Sent { id, .. } if Some(*id) == last => Some(()),
            _ => None,
        });
    });

    let times = paced_rounds(|i| {
        let text = format!("ping {i}");
        let expect = format!("re: {text}");
        let t0 = Instant::now();
        send_dm(&alice.engine, "bob", text);
        let reply = wait_message_from(&alice.engine, "bob");
        let took = t0.elapsed();
        assert_eq!(reply, expect, "replies arrive in order");
        took
    });
    bob_thread.join().expect("bob's thread");
    times
}
