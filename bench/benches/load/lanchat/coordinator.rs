//! The lanchat coordinator under load: the release `lanchat` binary in a process of its own,
//! on 127.0.0.1 with no discovery (so no multicast at all).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use lanchat_net::fingerprint::Pin;

/// Where the `lanchat` binary is, if not found next to the bench.
const BIN_ENV: &str = "LANCHAT_BIN";

/// The release `lanchat` binary: `$LANCHAT_BIN`, else `$CARGO_TARGET_DIR/release/lanchat`,
/// else next to this bench's executable (`target/release/deps/load-…` → `target/release`).
pub fn lanchat_binary() -> PathBuf {
    if let Ok(path) = std::env::var(BIN_ENV) {
        return PathBuf::from(path);
    }
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("release").join("lanchat"));
    }
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|dir| dir.join("lanchat")));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no lanchat binary found: run `cargo build --release -p lanchat` first \
                 (same CARGO_TARGET_DIR), or set {BIN_ENV}"
            )
        })
}

/// A running coordinator: its process, address and certificate fingerprint.
pub struct CoordinatorProcess {
    binary: PathBuf,
    data: PathBuf,
    /// The process (its pid is what `/proc` is read for).
    pub child: Child,
    /// Where it listens (always loopback).
    pub addr: SocketAddr,
    /// Its certificate's fingerprint, pinned by every client.
    pub pin: Pin,
}

impl CoordinatorProcess {
    /// Starts `binary` as a coordinator on `data` and waits for its address and fingerprint.
    pub fn start(binary: &Path, data: &Path) -> Self {
        let mut child = Command::new(binary)
            .arg("coordinator")
            .arg("--no-discovery")
            .args(["--listen", "127.0.0.1:0", "--name", "load-bench"])
            .arg("--data")
            .arg(data)
            .args(["--max-messages-per-second", "100000"])
            .env("LANCHAT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the coordinator");
        let stdout = child.stdout.take().expect("coordinator stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = None;
        let mut pin = None;
        while addr.is_none() || pin.is_none() {
            let line = lines
                .next()
                .expect("coordinator exited before printing its address")
                .expect("read coordinator output");
            if let Some(rest) = line.split(" listening on ").nth(1) {
                addr = Some(rest.trim().parse().expect("coordinator address"));
            } else if let Some(rest) = line.strip_prefix("full fingerprint: ") {
                pin = Some(rest.trim().parse().expect("coordinator fingerprint"));
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr: SocketAddr = addr.expect("address");
        assert!(addr.ip().is_loopback(), "coordinator must be on loopback");
        CoordinatorProcess {
            binary: binary.to_path_buf(),
            data: data.to_path_buf(),
            child,
            addr,
            pin: pin.expect("fingerprint"),
        }
    }

    /// Graceful stop (SIGTERM) and wait.
    pub fn stop(&mut self) {
        crate::procfs::terminate(&mut self.child);
    }

    /// Stop and start again on the same data (accounts and tokens stay valid).
    pub fn restart(&mut self) {
        self.stop();
        let fresh = CoordinatorProcess::start(&self.binary, &self.data);
        *self = fresh;
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
