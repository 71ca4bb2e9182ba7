//! A simulated office LAN (see `simlan`): a coordinator on one machine, clients on two others.
use std::time::Instant;

use crate::cli::Bot;
use crate::simlan::SimLan;

#[test]
fn clients_on_two_machines_find_a_coordinator_on_a_third_and_chat() {
    let Some(sim) = SimLan::for_test("simulated LAN test", 3) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let coordinator = sim.coordinator(0, &dir.path().join("coord"), "sim-office", &[]);

    let mut alice = sim.bot(1, "alice", &dir.path().join("alice"), true);
    let mut bob = sim.bot(2, "bob", &dir.path().join("bob"), true);
    for bot in [&mut alice, &mut bob] {
        let found = bot.wait_type("coordinator");
        assert_eq!(found["name"], "sim-office");
        let addr = found["addr"].as_str().unwrap().to_string();
        assert!(
            addr.starts_with(&format!("{}:", sim.addr(0))),
            "found at {addr}"
        );
        bot.wait_type("ready");
    }
    alice.line("hello across the bridge");
    bob.wait("message", |v| {
        v["type"] == "message" && v["text"] == "hello across the bridge"
    });
    bob.line("/msg @alice hi from machine 3");
    let m = alice.wait("dm", |v| v["type"] == "message" && v["conv"] == "@bob");
    assert_eq!(m["text"], "hi from machine 3");

    // A file from machine 2 to machine 3 goes directly between them.
    let src = dir.path().join("plan.odt");
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&src, &content).unwrap();
    alice.line(&format!("/send @bob {}", src.display()));
    let offer = bob.wait_type("file_offer");
    assert_eq!(offer["name"], "plan.odt");
    let inbox = dir.path().join("bob-inbox");
    bob.line(&format!("/accept {} {}", offer["id"], inbox.display()));
    let got = bob.wait_type("transfer_done");
    assert_eq!(got["direct"], true, "{got}");
    let sent = alice.wait_type("transfer_done");
    assert_eq!(sent["direct"], true, "{sent}");
    assert_eq!(std::fs::read(inbox.join("plan.odt")).unwrap(), content);
    assert!(alice.finish().success());
    assert!(bob.finish().success());
    drop(coordinator);
}

/// An office after a power cut: 50 clients start at once on two machines. Every one of them
/// finds the coordinator (one answer to the group serves every probe of that moment, and no
/// probe is dropped, so nobody waits for its next probe a second later), connects, and logs
/// in. Prints how long until all were connected and until all were ready.
#[test]
fn fifty_clients_starting_at_once_all_connect_promptly() {
    const CLIENTS: usize = 50;
    let Some(sim) = SimLan::for_test("fifty simultaneous clients", 3) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let coordinator = sim.coordinator(0, &dir.path().join("coord"), "sim-office", &[]);
    let fingerprint = coordinator.fingerprint.clone();
    let began = Instant::now();
    let mut bots: Vec<Bot> = (0..CLIENTS)
        .map(|i| {
            let data = dir.path().join(format!("c{i}"));
            let user = format!("user{i}");
            let mut cmd = sim.lanchat(
                1 + i % 2,
                &[
                    "cli",
                    "--json",
                    "--register",
                    "--user",
                    &user,
                    "--fingerprint",
                    &fingerprint,
                    "--data",
                    data.to_str().unwrap(),
                ],
            );
            cmd.env("LANCHAT_PASSWORD", crate::support::PASSWORD);
            Bot::spawn(cmd)
        })
        .collect();
    let started = began.elapsed();
    // Each client's time from its own start (its process launched) to the event.
    let mut to_connected = Vec::new();
    for bot in &mut bots {
        bot.wait_type("connected");
        to_connected.push(bot.since_start());
    }
    let connected = began.elapsed();
    let mut to_ready = Vec::new();
    for bot in &mut bots {
        bot.wait_type("ready");
        to_ready.push(bot.since_start());
    }
    let ready = began.elapsed();
    to_connected.sort();
    to_ready.sort();
    eprintln!(
        "{CLIENTS} simultaneous starts (launching them took {started:.2?}): start to connected \
         median {:.2?}, slowest {:.2?}; start to logged in (a new account each) median \
         {:.2?}, slowest {:.2?}; all connected {connected:.2?} and all ready {ready:.2?} after \
         the first launch",
        to_connected[CLIENTS / 2],
        to_connected[CLIENTS - 1],
        to_ready[CLIENTS / 2],
        to_ready[CLIENTS - 1],
    );
    for bot in bots {
        drop(bot);
    }
    drop(coordinator);
}
