//! A simulated office LAN: three network namespaces ("machines") on one bridge, made and torn
//! down by this test. Needs root and iproute2; skips with a message otherwise. All traffic stays
//! inside these namespaces.
use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};

use crate::cli::Bot;
use crate::support::*;

struct SimLan {
    bridge: String,
    hosts: Vec<String>,
    subnet: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Process::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl SimLan {
    fn new(machines: usize) -> Result<SimLan, String> {
        let tag = format!("lc{}x{}", std::process::id(), rand::random::<u16>());
        let lan = SimLan {
            bridge: format!("{tag}br"),
            hosts: (0..machines).map(|i| format!("{tag}h{i}")).collect(),
            subnet: format!("10.199.{}", rand::random::<u8>() % 250),
        };
        ip(&["netns", "add", &lan.bridge])?;
        ip(&["-n", &lan.bridge, "link", "add", "br0", "type", "bridge"])?;
        // No IGMP querier on this LAN: flood multicast rather than wait for snooping state.
        ip(&[
            "-n",
            &lan.bridge,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", &lan.bridge, "link", "set", "br0", "up"])?;
        for (i, host) in lan.hosts.iter().enumerate() {
            let port = format!("p{i}");
            ip(&["netns", "add", host])?;
            ip(&[
                "-n",
                &lan.bridge,
                "link",
                "add",
                &port,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                host,
            ])?;
            ip(&[
                "-n",
                &lan.bridge,
                "link",
                "set",
                &port,
                "master",
                "br0",
                "up",
            ])?;
            ip(&[
                "-n",
                host,
                "addr",
                "add",
                &format!("{}/24", lan.addr(i)),
                "dev",
                "eth0",
            ])?;
            ip(&["-n", host, "link", "set", "eth0", "up"])?;
            ip(&["-n", host, "link", "set", "lo", "up"])?;
        }
        Ok(lan)
    }

    fn addr(&self, machine: usize) -> String {
        format!("{}.{}", self.subnet, machine + 1)
    }

    /// `lanchat ARGS…` on one machine, multicast on that machine's LAN interface.
    fn lanchat(&self, machine: usize, args: &[&str]) -> Process {
        let mut cmd = Process::new("ip");
        cmd.args(["netns", "exec", &self.hosts[machine], bin()])
            .args(args)
            .args([
                "--iface",
                &self.addr(machine),
                "--realm",
                "simulated office",
            ]);
        cmd
    }
}

impl Drop for SimLan {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain([&self.bridge]) {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

fn is_root() -> bool {
    Process::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn clients_on_two_machines_find_a_coordinator_on_a_third_and_chat() {
    if !is_root() {
        eprintln!("SKIPPED simulated LAN test: needs root for network namespaces");
        return;
    }
    let sim = match SimLan::new(3) {
        Ok(sim) => sim,
        Err(why) => {
            eprintln!("SKIPPED simulated LAN test: cannot build namespaces ({why})");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let coord_dir = dir.path().join("coord");
    let mut coordinator = sim
        .lanchat(
            0,
            &[
                "coordinator",
                "--data",
                coord_dir.to_str().unwrap(),
                "--listen",
                "0.0.0.0:0",
                "--name",
                "sim-office",
            ],
        )
        .env("LANCHAT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("coordinator");
    let mut out = BufReader::new(coordinator.stdout.take().unwrap()).lines();
    let first = out.next().expect("coordinator prints").unwrap();
    assert!(first.contains("listening on"), "{first}");
    std::thread::spawn(move || for _ in out {});

    let data = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (alice_dir, bob_dir) = (data("alice"), data("bob"));
    let mut alice = Bot::spawn(sim.lanchat(
        1,
        &[
            "cli",
            "--json",
            "--register",
            "--user",
            "alice",
            "--data",
            &alice_dir,
        ],
    ));
    let mut bob = Bot::spawn(sim.lanchat(
        2,
        &[
            "cli",
            "--json",
            "--register",
            "--user",
            "bob",
            "--data",
            &bob_dir,
        ],
    ));
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
    let _ = coordinator.kill();
    let _ = coordinator.wait();
}
