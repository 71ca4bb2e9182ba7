//! Crash safety: the coordinator is SIGKILLed at unpredictable moments while clients send a
//! steady stream; every acknowledged message ends up in history exactly once, clients resend
//! what was not acknowledged, nobody sees a duplicate, and the database passes its check.
use std::collections::{HashMap, HashSet};

use lanchat_client::Event;
use lanchat_net::protocol::{MessageKind, MsgId};

use crate::support::*;

const SENDERS: usize = 3;
const PER_SENDER: usize = 700;
/// Messages each sender keeps in flight.
const WINDOW: usize = 8;
/// The crash test sends as fast as acknowledgements come; lift the per-session limit.
const RATE: &[&str] = &["--max-messages-per-second", "100000"];

/// Sends PER_SENDER messages, keeping WINDOW unacknowledged; returns the acknowledged ids.
fn sender(mut c: Client, k: usize) -> (Client, HashSet<MsgId>) {
    let mut acked = HashSet::new();
    let mut sent = 0;
    while acked.len() < PER_SENDER {
        while sent < PER_SENDER && sent - acked.len() < WINDOW {
            c.say(&general(), &format!("s{k}-{sent}"));
            sent += 1;
        }
        let id = c.wait("ack", |e| match e {
            Event::Sent { id, .. } => Some(*id),
            Event::Error { message, .. } => panic!("sender {k}: {message}"),
            _ => None,
        });
        assert!(acked.insert(id), "sender {k}: acknowledged twice");
        // The log would grow to thousands of events; keep the recent ones for diagnostics.
        let len = c.seen.len();
        if len > 200 {
            c.seen.drain(..len - 50);
        }
    }
    (c, acked)
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let mut coord =
        CoordinatorProcess::start_with(&lan, &dir.path().join("coord"), "crash-office", RATE);
    let mut watcher = Client::register(&lan, "watcher");
    let senders: Vec<Client> = (0..SENDERS)
        .map(|k| Client::register(&lan, &format!("sender{k}")))
        .collect();
    let threads: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(k, c)| std::thread::spawn(move || sender(c, k)))
        .collect();

    // Kill when the watcher has seen a random number of messages: moments nobody chose.
    let total = SENDERS * PER_SENDER;
    let mut kills: Vec<usize> = (0..3)
        .map(|i| total * (i + 1) / 4 + (rand::random::<u32>() as usize) % (total / 8))
        .collect();
    kills.sort();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut last_seq = 0;
    let mut restarts = 0;
    while seen.len() < total {
        let m = watcher.wait("messages", |e| match e {
            Event::Message { message, .. } if message.kind == MessageKind::Text => {
                Some(message.clone())
            }
            _ => None,
        });
        assert_eq!(m.seq, last_seq + 1, "gap or reordering at {}", m.text);
        last_seq = m.seq;
        assert!(
            seen.insert(m.text.clone(), m.seq).is_none(),
            "duplicate {}",
            m.text
        );
        if kills.first() == Some(&seen.len()) {
            kills.remove(0);
            coord = coord.crash_and_restart(RATE);
            restarts += 1;
        }
        let len = watcher.seen.len();
        if len > 200 {
            watcher.seen.drain(..len - 50);
        }
    }
    assert_eq!(restarts, 3);
    for t in threads {
        let (_c, acked) = t.join().expect("sender thread");
        assert_eq!(acked.len(), PER_SENDER);
    }
    // Per sender, messages appear in the order they were sent.
    for k in 0..SENDERS {
        let seqs: Vec<u64> = (0..PER_SENDER)
            .map(|i| seen[&format!("s{k}-{i}")])
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sender {k} reordered");
    }

    // The database itself: every message exactly once, and it passes its integrity check.
    coord.stop();
    use lanchat_store::Reads as _;
    let store = lanchat_store::Store::open(&coord.data.join("lanchat.db")).expect("open db");
    store.integrity_check().expect("integrity check");
    let general = store.general().unwrap();
    let mut texts = Vec::new();
    let mut after = 0;
    loop {
        let page = store.messages_after(general.id, after, 500).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        texts.extend(
            page.into_iter()
                .filter(|m| m.text.starts_with('s'))
                .map(|m| m.text),
        );
    }
    assert_eq!(texts.len(), total, "history holds each message once");
    let unique: HashSet<&String> = texts.iter().collect();
    assert_eq!(unique.len(), total);
    eprintln!("crash test: {total} messages, {restarts} SIGKILL restarts, history verified");
}
