//! A simulated office LAN (see `simlan`): a coordinator on one machine, clients on two others.
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
