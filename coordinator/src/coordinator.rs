//! A running coordinator: opens the database and the identity, listens, announces itself, and
//! shuts down cleanly.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanchat_net::beacon::Announce;
use lanchat_net::discovery::Discovery;
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::protocol::PROTOCOL_VERSION;
use lanchat_net::tls::{self, Identity};
use lanchat_store::Store;
use tokio::sync::mpsc;

use crate::clock::now_ms;
use crate::config::{CoordinatorConfig, DB_FILE};
use crate::error::CoordinatorError;
use crate::hub::Hub;
use crate::relay::RelayBoard;
use crate::shared::Shared;
use crate::{announce, blobs, commit, server};

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
                    started_ms: now_ms() as u64,
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
        let hub = Arc::new(Mutex::new(hub));
        commits
            .start(Arc::downgrade(&hub))
            .map_err(CoordinatorError::Thread)?;
        let shared = Arc::new(Shared {
            hub,
            throttle: Mutex::default(),
            name: config.name,
            relays: RelayBoard::default(),
            committer,
        });
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
