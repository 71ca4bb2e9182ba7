//! A running coordinator: opens the database and the identity, listens, announces itself, and
//! shuts down cleanly.
//!
//! Shutdown, in order: stop accepting; tell every session (`Event::Shutdown`); cancel the
//! connections' shared token, so each connection stops reading, answers what it has in flight,
//! lets its writer drain its outbox (the notice above all) and closes itself; wait for the
//! tracked connection tasks (bounded); close the endpoint on whatever is left; then close the
//! database, once the commit thread has ended.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use lanchat_net::beacon::Announce;
use lanchat_net::discovery::Discovery;
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::private;
use lanchat_net::protocol::PROTOCOL_VERSION;
use lanchat_net::tls::{self, Identity};
use lanchat_store::Store;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::Admission;
use crate::auth::keys::SETUP_FILE;
use crate::auth::{Accounts, OpaqueKeys, PasswordWork};
use crate::clock::now_ms;
use crate::config::{CoordinatorConfig, DB_FILE};
use crate::data_lock::DataLock;
use crate::error::CoordinatorError;
use crate::gate::Close;
use crate::hub::Hub;
use crate::names;
use crate::relay::RelayBoard;
use crate::shared::Shared;
use crate::throttle::Pacer;
use crate::{announce, blobs, commit, keys, server};

/// How long the connections get, all together, to deliver what is queued (the shutdown
/// notice above all) and close by themselves; each writer also has its own bound.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the endpoint then gets to see the last connections closed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A running coordinator.
#[derive(Debug)]
pub struct Coordinator {
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    fingerprint: Fingerprint,
    accept: tokio::task::JoinHandle<()>,
    announcer: Option<tokio::task::JoinHandle<()>>,
    /// The group-commit thread; it ends after the last connection.
    commits: JoinHandle<()>,
    /// Held while it runs: one coordinator per data directory.
    lock: DataLock,
}

impl Coordinator {
    /// Opens the database, loads or makes the identity, listens and starts announcing.
    /// Must be called inside a multi-threaded tokio runtime.
    pub fn start(config: CoordinatorConfig) -> Result<Coordinator, CoordinatorError> {
        let data_dir = |source| CoordinatorError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        };
        private::dir(&config.data_dir).map_err(data_dir)?;
        let lock = DataLock::acquire(&config.data_dir)?;
        let db = config.data_dir.join(DB_FILE);
        private_data(&config.data_dir, &db).map_err(data_dir)?;
        let mut store = Store::open(&db)?;
        store.integrity_check()?;
        names::check_stored(&mut store)?;
        let identity = Identity::load_or_create(&config.data_dir)?;
        let keys = OpaqueKeys::load_or_create(&config.data_dir).map_err(|source| {
            CoordinatorError::OpaqueSetup {
                path: config.data_dir.join(SETUP_FILE).display().to_string(),
                source,
            }
        })?;
        let work = PasswordWork::per_core().map_err(CoordinatorError::Thread)?;
        let fingerprint = identity.fingerprint();
        let rollover = keys::load_chain(&config.data_dir)?;
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
        let announcer = match config.discovery.clone() {
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
                Some(tokio::spawn(announce::run(discovery, announce)))
            }
            None => None,
        };
        let mut hub = Hub::new(store);
        let blobs = blobs::Blobs::new(config.data_dir.join("blobs"));
        let swept = blobs.sweep_partials(SystemTime::now(), blobs::PARTIAL_TTL);
        if swept > 0 {
            tracing::info!(swept, "removed abandoned partial uploads");
        }
        hub.enable_sharing(blobs.clone(), config.share_limits());
        let reads = hub.reads();
        let (committer, queue) = commit::channel();
        let hub = Arc::new(Mutex::new(hub));
        let commits = queue
            .start(Arc::downgrade(&hub))
            .map_err(CoordinatorError::Thread)?;
        let shared = Arc::new(Shared {
            hub,
            reads,
            admission: Admission::new(config.max_unauthenticated_per_address),
            login_timeout: config.login_timeout,
            accounts: Accounts::new(keys, work),
            name: config.name,
            rollover,
            relays: RelayBoard::default(),
            committer,
            pacer: Pacer::new(config.message_rate),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        });
        let accept = tokio::spawn(accept_loop(endpoint.clone(), shared.clone()));
        shared
            .tasks
            .spawn(sweep_partials(blobs, shared.shutdown.clone()));
        shared.tasks.spawn(scrub_later(
            Arc::downgrade(&shared.hub),
            shared.shutdown.clone(),
        ));
        Ok(Coordinator {
            endpoint,
            shared,
            fingerprint,
            accept,
            announcer,
            commits,
            lock,
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

    /// Stops accepting, tells every session (`reason` is what their clients hear), lets the
    /// connections deliver what is queued and close, then closes the database. Returns when
    /// the database is closed, or when the bounded waits are over (a straggler that still
    /// holds the hub then closes it when it ends; a warning says so).
    pub async fn shutdown(self, reason: &str) {
        let Coordinator {
            endpoint,
            shared,
            accept,
            announcer,
            commits,
            lock,
            ..
        } = self;
        if let Some(announcer) = announcer {
            announcer.abort();
        }
        accept.abort();
        // Its future, and its share of the state, are gone once it has ended.
        let _ = accept.await;
        shared.hub().announce_shutdown(reason);
        shared.shutdown.cancel();
        shared.tasks.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = shared.tasks.len(),
                "connections did not close in time; closing them"
            );
        }
        endpoint.close(Close::NORMAL.into(), reason.as_bytes());
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, endpoint.wait_idle()).await;
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, shared.tasks.wait()).await;
        close_database(shared, commits).await;
        // The data directory is free for the next coordinator (or a key rotation) only now.
        drop(lock);
    }
}

/// Lets go of the coordinator's state; the hub, and with it the store's SQLite connection,
/// closes once the commit thread (which ends with the last [`commit::Committer`], in the
/// state) has finished its last batch.
async fn close_database(shared: Arc<Shared>, commits: JoinHandle<()>) {
    let hub: Weak<Mutex<Hub>> = Arc::downgrade(&shared.hub);
    let Some(shared) = Arc::into_inner(shared) else {
        tracing::warn!("a connection still holds the database; it closes when that one ends");
        return;
    };
    drop(shared);
    if tokio::task::spawn_blocking(move || commits.join())
        .await
        .is_err()
    {
        tracing::error!("the commit thread failed");
    }
    if hub.strong_count() == 0 {
        tracing::info!("database closed");
    } else {
        tracing::warn!("the database is still in use; it closes when its last user ends");
    }
}

/// Makes the data private before SQLite opens the database: the database is created `0600`
/// if new (SQLite gives its `-wal` and `-shm` files the database's own mode), and whatever an
/// older version left (database, identity, shared files) is tightened.
fn private_data(dir: &std::path::Path, db: &std::path::Path) -> std::io::Result<()> {
    private::options().open(db)?;
    private::tighten_all(dir)
}

/// How often the hub tries again to empty the write-ahead log of deleted text, while a reader
/// kept it from doing so at once.
const SCRUB_RETRY: Duration = Duration::from_millis(500);

/// Tries [`Hub::scrub`] again every [`SCRUB_RETRY`] while one is pending (a deletion came
/// while a read held the log), until the shutdown; a quiet coordinator too ends up with no
/// deleted text in its log.
async fn scrub_later(hub: Weak<Mutex<Hub>>, stop: CancellationToken) {
    let mut every = tokio::time::interval(SCRUB_RETRY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = stop.cancelled() => return,
        }
        let Some(hub) = hub.upgrade() else { return };
        if !crate::lock::lock(&hub).scrub_pending() {
            continue;
        }
        let _ = tokio::task::spawn_blocking(move || crate::lock::lock(&hub).scrub()).await;
    }
}

/// How often abandoned partial uploads are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes partial uploads nobody touched for [`blobs::PARTIAL_TTL`] every [`SWEEP_EVERY`]
/// (the start did it once already), until the shutdown.
async fn sweep_partials(blobs: blobs::Blobs, stop: CancellationToken) {
    let first = tokio::time::Instant::now() + SWEEP_EVERY;
    let mut every = tokio::time::interval_at(first, SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = stop.cancelled() => return,
        }
        let b = blobs.clone();
        let swept = tokio::task::spawn_blocking(move || {
            b.sweep_partials(SystemTime::now(), blobs::PARTIAL_TTL)
        })
        .await
        .unwrap_or(0);
        if swept > 0 {
            tracing::info!(swept, "removed abandoned partial uploads");
        }
    }
}

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    while let Some(incoming) = endpoint.accept().await {
        shared.tasks.spawn(server::serve(shared.clone(), incoming));
    }
}
