//! The client engines of the bench: a private multicast "LAN" on loopback, engines with data
//! directories of their own, and waiting for their events.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lanchat_client::{Command, Engine, EngineConfig, Event};
use lanchat_net::beacon::RealmKey;
use lanchat_net::discovery::DiscoveryConfig;
use lanchat_net::protocol::{ConvRef, MsgId};

/// Failure guard for any one awaited event; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(20);
/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";

/// A private multicast "LAN" on loopback (as in the end-to-end tests).
#[derive(Debug, Clone)]
pub struct Lan {
    port: u16,
    realm: String,
}

impl Lan {
    pub fn new() -> Self {
        Lan {
            port: rand::random_range(lanchat_net::discovery::TEST_PORTS),
            realm: format!("bench-realm-{}", rand::random::<u64>()),
        }
    }

    /// Loopback only, TTL 0: never the default interfaces.
    pub fn discovery(&self) -> DiscoveryConfig {
        let mut cfg = DiscoveryConfig::new(RealmKey::from_passphrase(&self.realm));
        cfg.ifaces = vec![Ipv4Addr::LOCALHOST];
        cfg.ttl = 0;
        cfg.port = self.port;
        cfg
    }
}

/// An engine with a data directory of its own. Fields drop in order: the engine stops
/// before its directory is removed.
pub struct Client {
    /// The engine.
    pub engine: Engine,
    _data: tempfile::TempDir,
}

/// Starts an engine that discovers the coordinator. A fresh data directory means it pins
/// the coordinator afresh, like a first start on a new machine.
pub fn start_client(lan: &Lan, name: &str) -> Client {
    let data = tempfile::tempdir().expect("client tempdir");
    let engine = Engine::start(EngineConfig {
        data_dir: data.path().to_path_buf(),
        discovery: Some(lan.discovery()),
        coordinator: None,
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: format!("bench-{name}"),
        peer_listen: None,
        remember_session: false,
    })
    .expect("engine starts");
    Client {
        engine,
        _data: data,
    }
}

/// Waits for the first event `pick` accepts; panics (naming `what`) after PATIENCE.
pub fn wait_for<T>(engine: &Engine, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match engine.events().recv_timeout(left) {
            // Any error (a refused registration, a rate-limited send) would make the
            // numbers meaningless, so stop loudly instead of waiting out PATIENCE.
            Ok(Event::Error { message, .. }) => {
                panic!("engine error while waiting for {what}: {message}")
            }
            Ok(event) => {
                if let Some(v) = pick(&event) {
                    return v;
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("no {what} within {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("engine stopped while waiting for {what}")
            }
        }
    }
}

/// Registers `name` and waits until logged in.
pub fn register(lan: &Lan, name: &str) -> Client {
    let client = start_client(lan, name);
    client.engine.send(Command::Register {
        username: name.into(),
        password: PASSWORD.into(),
    });
    wait_for(&client.engine, "LoggedIn", |e| {
        matches!(e, Event::LoggedIn { .. }).then_some(())
    });
    client
}

/// Sends a DM; returns its id (for matching the acknowledgement).
pub fn send_dm(engine: &Engine, to: &str, text: String) -> MsgId {
    let id = MsgId::random();
    engine.send(Command::Send {
        conv: ConvRef::Dm(to.into()),
        text,
        id,
    });
    id
}

/// Waits for a live message from `sender`; returns its text.
pub fn wait_message_from(engine: &Engine, sender: &str) -> String {
    wait_for(engine, "message", |e| match e {
        Event::Message { message, .. } if message.sender == sender => Some(message.text.clone()),
        _ => None,
    })
}
