//! The coordinator: accounts, sessions, rooms, history and presence for one office.
//!
//! # Layout
//! - [`rules`]: which names and passwords are accepted, and why not.
//! - [`auth`]: Argon2id hashing and login throttling.
//! - [`throttle`]: the token bucket that caps a session's message rate.
//! - [`hub`]: the rules of conversation over the store and the online sessions (no sockets).
//! - [`server`]: one task per QUIC connection (the chat stream).
//! - [`outbox`]: the bounded queue of frames between the hub and a connection's writer.
//! - [`commit`]: group commit: messages from every connection stored with one fsync.
//! - [`streams`]: file streams: relay, uploads of shared files, downloads.
//! - [`blobs`]: content-addressed storage of shared files.
//! - [`announce`]: multicast announcements and probe answers.
pub mod announce;
pub mod auth;
pub mod blobs;
pub mod commit;
pub mod hub;
pub mod outbox;
pub mod rules;
pub mod server;
pub mod streams;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanchat_net::beacon::Announce;
use lanchat_net::discovery::{Discovery, DiscoveryConfig};
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::protocol::PROTOCOL_VERSION;
use lanchat_net::tls::{self, Identity};
use lanchat_store::Store;
use tokio::sync::mpsc;

use hub::Hub;
use server::Shared;

/// The fixed default QUIC port, so an office firewall can be opened for it.
pub const DEFAULT_PORT: u16 = 7117;
/// File name of the database inside the data directory.
pub const DB_FILE: &str = "lanchat.db";

/// How to run a coordinator.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Where the database and the identity live.
    pub data_dir: PathBuf,
    /// QUIC address to listen on.
    pub listen: SocketAddr,
    /// Name shown to clients.
    pub name: String,
    /// Multicast discovery; `None` runs without announcing (clients need the address).
    pub discovery: Option<DiscoveryConfig>,
    /// Largest file that may be shared into a conversation.
    pub max_share_bytes: u64,
    /// Messages per second one session may post.
    pub message_rate: u32,
}

/// Why the coordinator could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] lanchat_store::StoreError),
    /// The identity could not be loaded or made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The QUIC socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The committing thread could not be started.
    #[error("cannot start the commit thread: {0}")]
    Thread(std::io::Error),
    /// The multicast socket could not be set up.
    #[error("cannot join the multicast group: {0}")]
    Discovery(#[from] lanchat_net::discovery::DiscoveryError),
}

/// A running coordinator.
#[derive(Debug)]
pub struct Coordinator {
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    fingerprint: Fingerprint,
    accept: tokio::task::JoinHandle<()>,
    announcer: Option<tokio::task::JoinHandle<()>>,
}

impl Coordinator {
    /// Opens the database, loads or makes the identity, listens and starts announcing.
    /// Must be called inside a multi-threaded tokio runtime.
    pub fn start(config: CoordinatorConfig) -> Result<Coordinator, CoordinatorError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| CoordinatorError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&config.data_dir.join(DB_FILE))?;
        store.integrity_check()?;
        let identity = Identity::load_or_create(&config.data_dir)?;
        let fingerprint = identity.fingerprint();
        let server = tls::coordinator_server_config(&identity)?;
        let endpoint = tls::endpoint(config.listen, Some(server)).map_err(|source| {
            CoordinatorError::Listen {
                addr: config.listen,
                source,
            }
        })?;
        let local = endpoint
            .local_addr()
            .map_err(|source| CoordinatorError::Listen {
                addr: config.listen,
                source,
            })?;
        let (presence_tx, presence_rx) = mpsc::unbounded_channel();
        let announcer = match config.discovery {
            Some(cfg) => {
                let discovery = Arc::new(Discovery::bind(cfg)?);
                let announce = Announce {
                    coordinator_id: rand::random(),
                    name: config.name.clone(),
                    quic_port: local.port(),
                    quic_ip: (!local.ip().is_unspecified()).then_some(local.ip()),
                    fingerprint: fingerprint.0,
                    started_ms: hub::now_ms() as u64,
                    protocol_version: PROTOCOL_VERSION,
                };
                Some(tokio::spawn(announce::run(
                    discovery,
                    announce,
                    presence_rx,
                )))
            }
            None => None,
        };
        let mut hub = Hub::new(store, announcer.is_some().then_some(presence_tx));
        hub.set_message_rate(config.message_rate);
        hub.enable_sharing(
            blobs::Blobs::new(config.data_dir.join("blobs")),
            config.max_share_bytes,
        );
        let (committer, commits) = commit::channel();
        let shared = Arc::new(Shared {
            hub: Mutex::new(hub),
            throttle: Mutex::default(),
            name: config.name,
            relays: streams::RelayBoard::default(),
            committer,
        });
        commits
            .start(Arc::downgrade(&shared))
            .map_err(CoordinatorError::Thread)?;
        let accept = tokio::spawn(accept_loop(endpoint.clone(), shared.clone()));
        Ok(Coordinator {
            endpoint,
            shared,
            fingerprint,
            accept,
            announcer,
        })
    }

    /// Where clients reach it.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// Its certificate fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Tells every session, stops accepting, closes connections and the database.
    pub async fn shutdown(self, reason: &str) {
        if let Some(a) = &self.announcer {
            a.abort();
        }
        self.accept.abort();
        self.shared.hub().announce_shutdown(reason);
        // Give the writers a moment to deliver the notice before the connections go.
        let _ = tokio::time::timeout(Duration::from_millis(300), tokio::task::yield_now()).await;
        self.endpoint.close(0u32.into(), reason.as_bytes());
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
        // The store (and its SQLite connection) closes when the last reference goes.
        drop(self.shared);
    }
}

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    while let Some(incoming) = endpoint.accept().await {
        tokio::spawn(server::serve(shared.clone(), incoming));
    }
}
