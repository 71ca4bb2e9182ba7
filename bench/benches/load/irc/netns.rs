//! A network namespace of the bench's own, where ngIRCd listens and the IRC clients connect:
//! nothing of the reference touches the machine's own interfaces, loopback included.
//!
//! The namespace is removed when this value drops — and also when the bench dies any other
//! way (a panic that aborts, Ctrl-C, SIGKILL): a watchdog shell in a process group of its own
//! (so Ctrl-C does not reach it) waits for its stdin, a pipe only this process holds, to
//! close; then it kills whatever still runs in the namespace and deletes it.

use std::fs::File;
use std::io::Write as _;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// What the watchdog runs once its stdin closes ($0 is the namespace's name).
const WATCHDOG: &str = "read _; ip netns pids \"$0\" | xargs -r kill -9; ip netns del \"$0\"";

/// A namespace with its loopback up.
pub struct Namespace {
    name: String,
    watchdog: Child,
}

/// Runs `ip ARGS`; the error says what failed and why.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
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

impl Namespace {
    /// Creates a uniquely named namespace (needs root) and brings its loopback up.
    pub fn create() -> Result<Self, String> {
        let name = format!(
            "lanchat-load-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        ip(&["netns", "add", &name])?;
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, &name])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        let watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                let _ = ip(&["netns", "del", &name]);
                return Err(format!("watchdog for namespace {name}: {e}"));
            }
        };
        let ns = Namespace { name, watchdog };
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Its name (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Moves the calling thread into the namespace. Threads it starts afterwards (a tokio
    /// runtime's workers) and processes it spawns are inside too; the rest of the process is
    /// not.
    pub fn enter_this_thread(&self) -> Result<(), String> {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        rustix::thread::move_into_link_name_space(
            file.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| format!("setns {path}: {e}"))
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Closing the watchdog's stdin is what makes it clean up; a line does the same.
        if let Some(mut stdin) = self.watchdog.stdin.take() {
            let _ = stdin.write_all(b"done\n");
        }
        let _ = self.watchdog.wait();
    }
}
