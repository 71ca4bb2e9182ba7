//! Test harness. Network safety: every socket here is on 127.0.0.1; multicast is joined and
//! sent only on the loopback interface with TTL 0, on a random port with a random realm, so
//! concurrent tests cannot hear each other and nothing leaves the machine.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lanchat_client::{Command, Engine, EngineConfig, Event};
use lanchat_net::beacon::RealmKey;
use lanchat_net::discovery::DiscoveryConfig;
use lanchat_net::protocol::{ChatMessage, ConvRef, MsgId};

/// Upper bound on waiting for one expected event: a failure guard, not a timing assumption.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// A password that satisfies the policy.
pub const PASSWORD: &str = "correct horse battery";

/// A private multicast "LAN" on loopback.
#[derive(Debug, Clone)]
pub struct Lan {
    pub port: u16,
    pub realm: String,
}

impl Lan {
    pub fn new() -> Self {
        Lan {
            port: rand::random_range(lanchat_net::discovery::TEST_PORTS),
            realm: format!("test-realm-{}", rand::random::<u64>()),
        }
    }

    /// Flags for the `lanchat` binary.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--iface".into(),
            "127.0.0.1".into(),
            "--ttl".into(),
            "0".into(),
            "--mcast-port".into(),
            self.port.to_string(),
            "--realm".into(),
            self.realm.clone(),
        ]
    }

    /// Discovery for an in-process engine.
    pub fn discovery(&self) -> DiscoveryConfig {
        let mut cfg = DiscoveryConfig::new(RealmKey::from_passphrase(&self.realm));
        cfg.ifaces = vec![Ipv4Addr::LOCALHOST];
        cfg.ttl = 0;
        cfg.port = self.port;
        cfg
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lanchat")
}

/// A `lanchat coordinator` process.
pub struct CoordinatorProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub fingerprint: String,
    /// The invite it printed (`lanchat://FINGERPRINT@ADDRESS`).
    pub invite: String,
    pub data: PathBuf,
    pub lan: Lan,
    pub name: String,
}

impl CoordinatorProcess {
    pub fn start(lan: &Lan, data: &Path, name: &str) -> Self {
        Self::start_with(lan, data, name, &[])
    }

    pub fn start_with(lan: &Lan, data: &Path, name: &str, extra: &[&str]) -> Self {
        Self::spawn(lan, data, name, extra, "warn", Stdio::inherit())
    }

    /// A coordinator whose log (info level: every hello and every authentication attempt)
    /// goes to `log`, so a test can tell whether any client ever talked to it.
    pub fn start_logged(lan: &Lan, data: &Path, name: &str, extra: &[&str], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create coordinator log");
        Self::spawn(lan, data, name, extra, "info", Stdio::from(file))
    }

    fn spawn(
        lan: &Lan,
        data: &Path,
        name: &str,
        extra: &[&str],
        level: &str,
        stderr: Stdio,
    ) -> Self {
        let mut child = Process::new(bin())
            .arg("coordinator")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--name", name])
            .args(lan.flags())
            .args(extra)
            .env("LANCHAT_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start coordinator");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = None;
        let mut fingerprint = None;
        let mut invite = None;
        while addr.is_none() || fingerprint.is_none() || invite.is_none() {
            let line = lines
                .next()
                .expect("coordinator exited before printing its address")
                .expect("read coordinator output");
            if let Some(rest) = line.split(" listening on ").nth(1) {
                addr = Some(rest.trim().parse().expect("address"));
            } else if let Some(rest) = line.strip_prefix("full fingerprint: ") {
                fingerprint = Some(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("invite: ") {
                invite = Some(rest.trim().to_string());
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        CoordinatorProcess {
            child,
            addr: addr.expect("address"),
            fingerprint: fingerprint.expect("fingerprint"),
            invite: invite.expect("invite"),
            data: data.to_path_buf(),
            lan: lan.clone(),
            name: name.to_string(),
        }
    }

    /// Graceful stop (SIGTERM), waiting for the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Process::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait for coordinator")
    }

    /// Crash (SIGKILL: no goodbye, no clean close) and start again on the same data.
    pub fn crash_and_restart(mut self, extra: &[&str]) -> Self {
        self.child.kill().expect("SIGKILL coordinator");
        self.child.wait().expect("reap coordinator");
        Self::start_with(&self.lan, &self.data, &self.name, extra)
    }

    /// Stop and start again on the same data directory (and a new port).
    pub fn restart(mut self) -> Self {
        let status = self.stop();
        assert!(status.success(), "coordinator exited with {status}");
        Self::start(&self.lan, &self.data, &self.name)
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An in-process client engine with a log of what it saw.
pub struct Client {
    pub engine: Engine,
    pub name: String,
    pub seen: Vec<Event>,
    pub data: tempfile::TempDir,
}

impl Client {
    /// Starts an engine that discovers the coordinator on `lan`.
    pub fn start(lan: &Lan, name: &str) -> Self {
        Self::start_in(lan, name, tempfile::tempdir().expect("tempdir"))
    }

    /// Starts an engine on `data` that takes the first coordinator it finds when nothing is
    /// pinned yet (what most tests want: they are not about first contact).
    pub fn start_in(lan: &Lan, name: &str, data: tempfile::TempDir) -> Self {
        Self::start_trusting(lan, name, data, true)
    }

    /// Starts an engine on `data` that uses only pinned coordinators and asks about others.
    pub fn start_strict(lan: &Lan, name: &str, data: tempfile::TempDir) -> Self {
        Self::start_trusting(lan, name, data, false)
    }

    fn start_trusting(
        lan: &Lan,
        name: &str,
        data: tempfile::TempDir,
        trust_first_contact: bool,
    ) -> Self {
        Self::start_config(name, data, |dir| EngineConfig {
            data_dir: dir.to_path_buf(),
            discovery: Some(lan.discovery()),
            coordinator: None,
            accept_new_fingerprint: false,
            trust_first_contact,
            trusted: Vec::new(),
            hints: Vec::new(),
            client_name: format!("test-{name}"),
            peer_listen: Some("127.0.0.1:0".parse().unwrap()),
            remember_session: false,
        })
    }

    pub fn start_config(
        name: &str,
        data: tempfile::TempDir,
        config: impl FnOnce(&Path) -> EngineConfig,
    ) -> Self {
        init_logging();
        let engine = Engine::start(config(data.path())).expect("engine starts");
        Client {
            engine,
            name: name.to_string(),
            seen: Vec::new(),
            data,
        }
    }

    /// Registers and waits until logged in.
    pub fn register(lan: &Lan, name: &str) -> Self {
        let mut c = Self::start(lan, name);
        c.engine.send(Command::Register {
            username: name.into(),
            password: PASSWORD.into(),
        });
        c.ready();
        c
    }

    /// Logs in and waits until logged in; returns the conversations it reported.
    pub fn login(lan: &Lan, name: &str) -> (Self, Vec<lanchat_net::protocol::ConvSummary>) {
        let mut c = Self::start(lan, name);
        c.engine.send(Command::Login {
            username: name.into(),
            password: PASSWORD.into(),
        });
        let convs = c.wait("login", |e| match e {
            Event::LoggedIn { conversations, .. } => Some(conversations.clone()),
            _ => None,
        });
        (c, convs)
    }

    pub fn ready(&mut self) {
        self.wait("logged in", |e| {
            matches!(e, Event::LoggedIn { .. }).then_some(())
        });
    }

    pub fn send(&self, command: Command) {
        self.engine.send(command);
    }

    /// Sends text and returns its id.
    pub fn say(&self, conv: &ConvRef, text: &str) -> MsgId {
        let id = MsgId::random();
        self.engine.send(Command::Send {
            conv: conv.clone(),
            text: text.into(),
            id,
        });
        id
    }

    /// Sends text and waits for the coordinator's acknowledgement; returns the seq.
    pub fn say_acked(&mut self, conv: &ConvRef, text: &str) -> u64 {
        let id = self.say(conv, text);
        self.wait("ack", |e| match e {
            Event::Sent { id: acked, seq, .. } if *acked == id => Some(*seq),
            _ => None,
        })
    }

    /// Waits for the first event `pick` accepts; panics with what was seen after PATIENCE.
    pub fn wait<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.engine.events().recv_timeout(left) {
                Ok(event) => {
                    let picked = pick(&event);
                    self.seen.push(event);
                    if let Some(v) = picked {
                        return v;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no '{what}' within {PATIENCE:?}; last events: {:#?}",
                    self.name,
                    self.seen.iter().rev().take(15).collect::<Vec<_>>()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: engine stopped while waiting for '{what}'; last events: {:#?}",
                    self.name,
                    self.seen.iter().rev().take(15).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// The first event already seen that `pick` accepts, or else the next one to arrive.
    pub fn seen_or_wait<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        if let Some(v) = self.seen.iter().find_map(&mut pick) {
            return v;
        }
        self.wait(what, pick)
    }

    /// Waits for a text message whose text matches.
    pub fn wait_message(&mut self, text: &str) -> ChatMessage {
        self.wait(&format!("message {text:?}"), |e| match e {
            Event::Message { message, .. } if message.text == text => Some(message.clone()),
            _ => None,
        })
    }

    /// Waits for an error answering `command`; returns its message.
    pub fn wait_error(
        &mut self,
        command: &str,
    ) -> (Option<lanchat_net::protocol::ErrorCode>, String) {
        self.wait(&format!("error for {command}"), |e| match e {
            Event::Error {
                code,
                message,
                command: Some(c),
            } if c == command => Some((*code, message.clone())),
            _ => None,
        })
    }

    /// Every message delivered so far (from the log).
    pub fn messages(&self) -> Vec<ChatMessage> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                Event::Message { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }
}

/// With LANCHAT_TEST_LOG set (e.g. `debug`), engine logs go to stderr.
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("LANCHAT_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_writer(std::io::stderr)
                .try_init();
        }
    });
}

pub fn general() -> ConvRef {
    ConvRef::Room("general".into())
}

pub fn room(name: &str) -> ConvRef {
    ConvRef::Room(name.into())
}

pub fn dm(user: &str) -> ConvRef {
    ConvRef::Dm(user.into())
}

/// Puts accounts as they were kept before OPAQUE (an Argon2 hash of [`PASSWORD`] each) into
/// the database of the data directory `data`, before a coordinator runs on it.
pub fn legacy_accounts(data: &Path, names: &[String]) {
    std::fs::create_dir_all(data).unwrap();
    let db = data.join(lanchat_coordinator::config::DB_FILE);
    let mut store = lanchat_store::Store::open(&db).unwrap();
    let hash = lanchat_coordinator::auth::hash_password(PASSWORD).unwrap();
    for name in names {
        store.create_user(name, name, &hash, 1).unwrap();
    }
}

/// A coordinator on a fresh LAN with a fresh data directory.
pub fn office() -> (Lan, CoordinatorProcess, tempfile::TempDir) {
    let lan = Lan::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let coordinator = CoordinatorProcess::start(&lan, &dir.path().join("coord"), "test-office");
    (lan, coordinator, dir)
}

/// A file of `len` pseudo-random bytes (different for each `seed`) in `dir`.
pub fn make_file(dir: &Path, name: &str, len: usize, seed: u8) -> PathBuf {
    let mut state = 0x9e37_79b9_u32 ^ u32::from(seed);
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Every folder and file under `dir` (not `dir` itself; nothing if it does not exist).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
