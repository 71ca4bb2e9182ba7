//! Lossy and changing networks, in the simulated LAN (`simlan`): packet loss on every host, a
//! client whose network goes away for 30 s, a coordinator that moves to another machine.
//! Every figure is printed on stderr (`cargo test … -- --nocapture` shows them).
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::Bot;
use crate::simlan::SimLan;

/// Loss on every host of the lossy LAN.
const LOSS_PERCENT: u32 = 5;
/// Messages each of the two senders posts on the lossy LAN.
const PER_SENDER: usize = 100;
/// The file sent directly across the lossy LAN.
const FILE_MIB: usize = 256;
/// How long the client's network is gone.
const OUTAGE: Duration = Duration::from_secs(30);

/// The coordinator's default cap (20/s) would refuse a fast test sender; the cap is not what
/// these tests are about.
const UNTHROTTLED: &[&str] = &["--max-messages-per-second", "1000"];

fn texts(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i:03}")).collect()
}

/// Asserts that `got` (messages in arrival order) holds each of `expected` exactly once, in
/// strictly increasing seq order, with each sender's messages in the order they were sent
/// (`expected` lists every sender's texts in its own order).
fn assert_once_in_order(who: &str, got: &[Value], expected: &[&[String]]) {
    let total: usize = expected.iter().map(|e| e.len()).sum();
    let arrived: Vec<&str> = got.iter().map(|v| v["text"].as_str().unwrap()).collect();
    assert_eq!(
        arrived.len(),
        total,
        "{who}: expected {total} messages exactly once, got {} (duplicates?)",
        arrived.len()
    );
    let seqs: Vec<u64> = got.iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{who}: not in seq order: {seqs:?}"
    );
    for sender in expected {
        let order: Vec<&str> = arrived
            .iter()
            .copied()
            .filter(|t| sender.iter().any(|s| s == t))
            .collect();
        assert_eq!(order, *sender, "{who}: a sender's messages out of order");
    }
}

/// Writes `mib` MiB of random bytes to `path`; returns their BLAKE3 hash.
fn random_file(path: &Path, mib: usize) -> blake3::Hash {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hasher = blake3::Hasher::new();
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..mib {
        rand::fill(&mut chunk[..]);
        hasher.update(&chunk);
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
    hasher.finalize()
}

fn hash_file(path: &Path) -> blake3::Hash {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = blake3::Hasher::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut chunk).unwrap();
        if n == 0 {
            return hasher.finalize();
        }
        hasher.update(&chunk[..n]);
    }
}

fn wait_ready(bot: &mut Bot) -> Value {
    bot.wait_type("ready")
}

#[test]
fn chat_and_a_big_file_survive_packet_loss_on_every_host() {
    let Some(sim) = SimLan::for_test("lossy LAN test", 4) else {
        return;
    };
    let mut how = "";
    for machine in 0..4 {
        match sim.set_loss(machine, LOSS_PERCENT) {
            Ok(method) => how = method,
            Err(why) => {
                eprintln!("SKIPPED lossy LAN test: cannot drop packets ({why})");
                return;
            }
        }
    }
    eprintln!("lossy LAN: {LOSS_PERCENT}% loss on every host by {how}");
    let dir = tempfile::tempdir().unwrap();
    let _coordinator = sim.coordinator(0, &dir.path().join("coord"), "sim-office", UNTHROTTLED);
    let mut alice = sim.bot(1, "alice", &dir.path().join("alice"), true);
    let mut bob = sim.bot(2, "bob", &dir.path().join("bob"), true);
    let mut carol = sim.bot(3, "carol", &dir.path().join("carol"), true);
    for bot in [&mut alice, &mut bob, &mut carol] {
        wait_ready(bot);
    }

    // Two senders at once, as fast as their clients take lines; the third machine reads.
    let (from_alice, from_bob) = (texts("alice", PER_SENDER), texts("bob", PER_SENDER));
    let started = Instant::now();
    for (a, b) in from_alice.iter().zip(&from_bob) {
        alice.line(a);
        bob.line(b);
    }
    let everything: Vec<String> = from_alice.iter().chain(&from_bob).cloned().collect();
    let got = carol.wait_texts("#general", &everything);
    let chat_time = started.elapsed();
    // Every message was acknowledged to its sender, and the senders saw the whole
    // conversation too.
    alice.wait_count("ack", PER_SENDER);
    bob.wait_count("ack", PER_SENDER);
    assert_once_in_order("carol", &got, &[&from_alice, &from_bob]);
    for (name, bot) in [("alice", &mut alice), ("bob", &mut bob)] {
        let got = bot.wait_texts("#general", &everything);
        assert_once_in_order(name, &got, &[&from_alice, &from_bob]);
    }
    eprintln!(
        "lossy LAN: {} messages from two senders reached the third machine once each, in order, \
         in {chat_time:?}",
        everything.len()
    );

    // A big file, directly from machine 2 to machine 3.
    let src = dir.path().join("big.bin");
    let hash = random_file(&src, FILE_MIB);
    alice.line(&format!("/send @bob {}", src.display()));
    let offer = bob.wait_type("file_offer");
    let inbox = dir.path().join("bob-inbox");
    let accepted = Instant::now();
    bob.line(&format!("/accept {} {}", offer["id"], inbox.display()));
    let got = bob.wait("transfer_done or transfer_failed", |v| {
        v["type"] == "transfer_done" || v["type"] == "transfer_failed"
    });
    let took = accepted.elapsed();
    assert_eq!(got["type"], "transfer_done", "{got}");
    assert_eq!(got["direct"], true, "{got}");
    let sent = alice.wait("transfer end", |v| {
        v["type"] == "transfer_done" || v["type"] == "transfer_failed"
    });
    assert_eq!(sent["type"], "transfer_done", "{sent}");
    assert_eq!(hash_file(&inbox.join("big.bin")), hash);
    let bytes = (FILE_MIB << 20) as f64;
    eprintln!(
        "lossy LAN: {FILE_MIB} MiB direct transfer verified in {took:.1?} ({:.1} MB/s)",
        bytes / took.as_secs_f64() / 1e6
    );
}

#[test]
fn a_client_whose_network_goes_away_for_30_s_comes_back_and_catches_up() {
    let Some(sim) = SimLan::for_test("network outage test", 3) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _coordinator = sim.coordinator(0, &dir.path().join("coord"), "sim-office", UNTHROTTLED);
    let mut alice = sim.bot(1, "alice", &dir.path().join("alice"), true);
    let mut bob = sim.bot(2, "bob", &dir.path().join("bob"), true);
    wait_ready(&mut alice);
    wait_ready(&mut bob);
    alice.line("before the outage");
    let before = bob.wait_texts("#general", &["before the outage".into()]);

    // Bob's machine drops off the LAN; alice keeps talking.
    let down = Instant::now();
    sim.set_link(2, false);
    let meanwhile = texts("while bob is away", 50);
    for text in &meanwhile {
        alice.line(text);
    }
    alice.wait_count("ack", 1 + meanwhile.len());
    // The keep-alives stop being answered: bob's client notices by itself.
    let gone = bob.wait_type("disconnected");
    let noticed = down.elapsed();
    // Holding the outage for its full length is what this test is about: the only sleep.
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));
    sim.set_link(2, true);
    let up = Instant::now();
    let ready = bob.wait_type("ready");
    let reconnect = up.elapsed();
    assert_eq!(ready["resumed"], true, "{ready}");

    let mut expected = vec!["before the outage".to_string()];
    expected.extend(meanwhile.iter().cloned());
    let got = bob.wait_texts("#general", &expected);
    assert_once_in_order("bob", &got, &[&expected]);
    // Nothing skipped in between either: the seqs follow on from before the outage.
    let first = before[0]["seq"].as_u64().unwrap();
    let seqs: Vec<u64> = got.iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (first..first + expected.len() as u64).collect::<Vec<_>>()
    );
    // And both directions work again.
    bob.line("bob is back");
    alice.wait_texts("#general", &["bob is back".into()]);
    eprintln!(
        "outage: link down {OUTAGE:?}; bob noticed after {noticed:.1?} ({}); ready (resumed) \
         {reconnect:.2?} after link-up; {} messages caught up, none lost or doubled",
        gone["reason"],
        meanwhile.len()
    );
}

#[test]
fn a_coordinator_that_moves_to_another_machine_is_found_again() {
    let Some(sim) = SimLan::for_test("moved coordinator test", 4) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("coord");
    let mut old = sim.coordinator(0, &data, "sim-office", &[]);
    let mut alice = sim.bot(1, "alice", &dir.path().join("alice"), true);
    let mut bob = sim.bot(2, "bob", &dir.path().join("bob"), true);
    wait_ready(&mut alice);
    wait_ready(&mut bob);
    let history = texts("before the move", 5);
    for text in &history {
        alice.line(text);
    }
    bob.wait_texts("#general", &history);

    // The coordinator is shut down on machine 0 (sessions are told) …
    assert!(old.stop().success());
    for bot in [&mut alice, &mut bob] {
        bot.wait_type("disconnected");
    }
    // … alice types while it is away (kept and resent by her client) …
    alice.line("typed while it moved");
    // … and it starts on machine 3 with the same data directory, so the same identity.
    let moved = Instant::now();
    let new = sim.coordinator(3, &data, "sim-office", &[]);
    assert_eq!(new.fingerprint, old.fingerprint);
    for bot in [&mut alice, &mut bob] {
        let found = bot.wait_type("coordinator");
        let addr = found["addr"].as_str().unwrap();
        assert!(addr.starts_with(&format!("{}:", sim.addr(3))), "{found}");
        // Same pinned identity: no warning, no first-use prompt.
        assert_eq!(found["first_use"], false, "{found}");
        let ready = bot.wait_type("ready");
        assert_eq!(ready["resumed"], true, "{ready}");
    }
    let found_after = moved.elapsed();
    let mut expected = history.clone();
    expected.push("typed while it moved".into());
    let got = bob.wait_texts("#general", &expected);
    assert_once_in_order("bob (live)", &got, &[&expected]);
    alice.wait_count("ack", expected.len());

    // The history the new machine serves is the old one plus what came after.
    bob.line("/history 50");
    let page = bob.wait_type("history");
    let stored: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(stored, expected, "{page}");
    eprintln!(
        "moved coordinator: both clients found it at its new address and resumed within \
         {found_after:.2?} of its start; history intact ({} messages)",
        expected.len()
    );
}
