//! A simulated office LAN: network namespaces ("machines") on one bridge, made and torn down by
//! the test that uses it. Needs root and iproute2; tests skip with a message otherwise. All
//! traffic stays inside these namespaces: nothing here touches the host's own interfaces.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

use crate::cli::Bot;
use crate::support::*;

pub struct SimLan {
    bridge: String,
    hosts: Vec<String>,
    subnet: String,
}

/// Runs a command; its stderr is the error.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Process::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    run("ip", args)
}

fn is_root() -> bool {
    Process::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl SimLan {
    /// A LAN of `machines` hosts for the test `what`, or `None` (with a SKIPPED line) where
    /// namespaces cannot be made.
    pub fn for_test(what: &str, machines: usize) -> Option<SimLan> {
        if !is_root() {
            eprintln!("SKIPPED {what}: needs root for network namespaces");
            return None;
        }
        match SimLan::new(machines) {
            Ok(sim) => Some(sim),
            Err(why) => {
                eprintln!("SKIPPED {what}: cannot build namespaces ({why})");
                None
            }
        }
    }

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

    pub fn addr(&self, machine: usize) -> String {
        format!("{}.{}", self.subnet, machine + 1)
    }

    /// `lanchat ARGS…` on one machine, multicast on that machine's LAN interface.
    pub fn lanchat(&self, machine: usize, args: &[&str]) -> Process {
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

    /// Runs `program ARGS…` inside one machine's namespace.
    fn exec(&self, machine: usize, program: &str, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["netns", "exec", &self.hosts[machine], program];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// Drops `percent` % of the packets on one machine's LAN interface. netem on egress where
    /// the kernel has it; otherwise an iptables `statistic` rule dropping that share of what
    /// arrives on eth0 (the same loss per packet: every packet crosses exactly one receiving
    /// host's rule, as it would cross one sending host's netem). Returns how, or why not.
    pub fn set_loss(&self, machine: usize, percent: u32) -> Result<&'static str, String> {
        let netem = self.exec(
            machine,
            "tc",
            &[
                "qdisc",
                "add",
                "dev",
                "eth0",
                "root",
                "netem",
                "loss",
                &format!("{percent}%"),
            ],
        );
        let Err(netem_err) = netem else {
            return Ok("tc netem (egress)");
        };
        let probability = format!("{:.4}", f64::from(percent) / 100.0);
        let rule = [
            "-A",
            "INPUT",
            "-i",
            "eth0",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            &probability,
            "-j",
            "DROP",
        ];
        // The legacy backend needs only ip_tables in the kernel; iptables-nft needs nf_tables.
        let mut errors = vec![netem_err];
        for program in ["iptables-legacy", "iptables"] {
            match self.exec(machine, program, &rule) {
                Ok(()) => return Ok("iptables statistic (ingress)"),
                Err(e) => errors.push(e),
            }
        }
        Err(errors.join("; "))
    }

    /// Takes one machine's LAN link down or up (its address stays configured).
    pub fn set_link(&self, machine: usize, up: bool) {
        let state = if up { "up" } else { "down" };
        ip(&["-n", &self.hosts[machine], "link", "set", "eth0", state]).expect("set link");
    }

    /// A coordinator on `machine` named `name`, keeping its state in `data`.
    pub fn coordinator(
        &self,
        machine: usize,
        data: &Path,
        name: &str,
        extra: &[&str],
    ) -> SimCoordinator {
        let mut args = vec![
            "coordinator",
            "--data",
            data.to_str().expect("utf-8 path"),
            "--listen",
            "0.0.0.0:0",
            "--name",
            name,
        ];
        args.extend_from_slice(extra);
        let mut child = self
            .lanchat(machine, &args)
            .env("LANCHAT_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("coordinator");
        let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut fingerprint = None;
        while fingerprint.is_none() {
            let line = out
                .next()
                .expect("coordinator exited before printing its fingerprint")
                .expect("read coordinator output");
            if let Some(rest) = line.strip_prefix("full fingerprint: ") {
                fingerprint = Some(rest.trim().to_string());
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in out {});
        SimCoordinator {
            child,
            fingerprint: fingerprint.expect("fingerprint"),
        }
    }

    /// `lanchat cli --json` for `user` on `machine`.
    pub fn bot(&self, machine: usize, user: &str, data: &Path, register: bool) -> Bot {
        let data = data.to_str().expect("utf-8 path");
        let mut args = vec![
            "cli",
            "--json",
            "--trust-first-contact",
            "--user",
            user,
            "--data",
            data,
        ];
        if register {
            args.push("--register");
        }
        Bot::spawn(self.lanchat(machine, &args))
    }
}

impl Drop for SimLan {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain([&self.bridge]) {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// A `lanchat coordinator` in a namespace (`ip netns exec` execs it: the child is lanchat).
pub struct SimCoordinator {
    pub child: Child,
    pub fingerprint: String,
}

impl SimCoordinator {
    /// Graceful stop (SIGTERM), waiting for the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Process::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait for coordinator")
    }
}

impl Drop for SimCoordinator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
