//! ngIRCd, the reference: started inside the bench's namespace with a generated minimal
//! configuration.
//!
//! What the configuration relaxes, and why (everything else is ngIRCd's default):
//! - `MaxConnectionsIP = 0` (default 5): every bench client comes from 127.0.0.1.
//! - `MaxPenaltyTime = 0` (default: no limit): ngIRCd's flood protection works by penalty
//!   times — a client that sent over 256 bytes in a second or has more than 3 commands
//!   waiting is not read for a second, and some commands add seconds of their own. With 0 no
//!   penalty is ever added. What cannot be configured stays: ngIRCd handles at most 3
//!   commands of one client per pass of its main loop, reads at most 2 KB ahead per client,
//!   and drops a client that has 32 KB unsent ("Write buffer space exhausted").
//! - `MaxJoins = 0`, `MaxConnections = 0`: no limits (the latter is the default).
//! - `DNS = no`, `Ident = no`, `PAM = no`: no lookups when a client connects.
//! - `IncludeDir` points at an empty directory: nothing from /etc/ngircd is read.
//!
//! It listens on 127.0.0.1:6667 of the namespace only, runs in the foreground (`--nodaemon`),
//! and is stopped with SIGTERM.

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where Debian's package puts it.
const NGIRCD: &str = "/usr/sbin/ngircd";
/// The port inside the namespace (nothing else listens there).
const PORT: u16 = 6667;

/// The ngIRCd binary, if installed.
pub fn binary() -> Option<PathBuf> {
    let path = PathBuf::from(NGIRCD);
    path.is_file().then_some(path)
}

/// A running ngIRCd.
pub struct Ngircd {
    binary: PathBuf,
    dir: PathBuf,
    child: Child,
}

fn config(dir: &Path) -> String {
    format!(
        "[Global]\n\
         \tName = bench.irc\n\
         \tInfo = lanchat load bench reference\n\
         \tListen = 127.0.0.1\n\
         \tPorts = {PORT}\n\
         \tPidFile = {dir}/ngircd.pid\n\
         \tMotdPhrase = bench\n\
         [Limits]\n\
         \tMaxConnections = 0\n\
         \tMaxConnectionsIP = 0\n\
         \tMaxJoins = 0\n\
         \tMaxPenaltyTime = 0\n\
         [Options]\n\
         \tIncludeDir = {dir}/conf.d\n\
         \tDNS = no\n\
         \tIdent = no\n\
         \tPAM = no\n",
        dir = dir.display()
    )
}

impl Ngircd {
    /// Writes the configuration into `dir` and starts ngIRCd. Call it on a thread inside
    /// the bench's namespace: the process inherits the calling thread's namespace.
    pub fn start(binary: &Path, dir: &Path) -> Self {
        std::fs::create_dir_all(dir.join("conf.d")).expect("ngircd conf.d");
        let conf = dir.join("ngircd.conf");
        std::fs::File::create(&conf)
            .and_then(|mut f| f.write_all(config(dir).as_bytes()))
            .expect("write ngircd.conf");
        let mut child = Command::new(binary)
            .arg("--nodaemon")
            .arg("--config")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ngircd");
        // It says when it listens; until then connections would be refused.
        let stdout = child.stdout.take().expect("ngircd stdout");
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("ngircd exited before listening")
                .expect("read ngircd output");
            if line.contains("Now listening on") {
                break;
            }
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ngircd {
            binary: binary.to_path_buf(),
            dir: dir.to_path_buf(),
            child,
        }
    }

    /// Where it listens (inside the namespace).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], PORT))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Graceful stop (SIGTERM) and wait.
    pub fn stop(&mut self) {
        crate::procfs::terminate(&mut self.child);
    }

    /// Stop and start a fresh process (on the calling thread's namespace).
    pub fn restart(&mut self) {
        self.stop();
        let fresh = Ngircd::start(&self.binary, &self.dir);
        *self = fresh;
    }
}

impl Drop for Ngircd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
