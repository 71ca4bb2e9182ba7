//! The driver: the engine thread's async loop around the [`Core`].
//!
//! It owns everything with I/O — the tokio runtime, the multicast socket, the QUIC
//! connection and its chat stream, the timer, the pins file and the transfer tasks — feeds
//! the core what happens (with the time), and does what the core asks. It decides nothing.
//!
//! # Layout
//! - this file: start-up and the loop.
//! - `connection`: connecting to the coordinator and reading its frames.
//! - `transfers`: hashing and the tasks that move files.
//! - `scan`: listing the files an offer sends (a folder's tree).
//! - `peers`: direct connections to peers, kept for the next offer.
mod connection;
mod peers;
mod scan;
mod transfers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lanchat_net::beacon::{Beacon, BeaconKind};
use lanchat_net::discovery::Discovery;
use lanchat_net::framed::write_frame;
use lanchat_net::protocol::ServerFrame;
use tokio::sync::{mpsc, oneshot};

use crate::api::{Command, EngineConfig, EngineError, Event, TransferKey};
use crate::core::{Action, Core, CoreConfig, Finished, HashJob, OfferPlan, ScanJob, Scanned};
use crate::{known, remembered};
use connection::Open;
use transfers::Transfers;

/// What the driver's own tasks report.
enum Note {
    /// A connection attempt ended (`attempt` tells a stale one from the current one).
    Connected {
        attempt: u64,
        result: Result<connection::Opened, String>,
    },
    /// A file to share has been hashed.
    Hashed {
        job: HashJob,
        result: Result<([u8; 32], u64), String>,
    },
    /// The files of an offer have been listed.
    Scanned {
        job: ScanJob,
        result: Result<Scanned, String>,
    },
    /// A transfer ended.
    Finished {
        key: TransferKey,
        name: String,
        size: u64,
        result: Result<Finished, String>,
    },
    /// A peer connected with an offer id and token: may it deliver, and where to?
    Incoming {
        offer: u64,
        token: [u8; 32],
        reply: oneshot::Sender<Option<OfferPlan>>,
    },
}

/// The coordinator connection as the driver has it.
enum Link {
    None,
    /// A connection attempt runs as a task.
    Connecting(tokio::task::AbortHandle),
    Open(Open),
}

/// Engine thread entry point.
pub(crate) fn main(
    config: EngineConfig,
    commands: Receiver<Command>,
    events: Sender<Event>,
    ready: Sender<Result<(), EngineError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(EngineError::Runtime(e)));
            return;
        }
    };
    runtime.block_on(async move {
        let driver = match Driver::new(config, commands, events.clone()) {
            Ok(d) => d,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        driver.run().await;
        let _ = events.send(Event::Stopped);
    });
}

struct Driver {
    core: Core,
    data_dir: PathBuf,
    events: Sender<Event>,
    commands: mpsc::UnboundedReceiver<Command>,
    beacons: mpsc::Receiver<(Beacon, SocketAddr)>,
    discovery: Option<Arc<Discovery>>,
    notes_tx: mpsc::UnboundedSender<Note>,
    notes: mpsc::UnboundedReceiver<Note>,
    link: Link,
    /// Numbers connection attempts, so a late result of an abandoned one is ignored.
    attempt: u64,
    transfers: Transfers,
}

impl Driver {
    fn new(
        config: EngineConfig,
        commands: Receiver<Command>,
        events: Sender<Event>,
    ) -> Result<Self, EngineError> {
        // Private, like everything lanchat keeps (pins, this client's key): 0700 and 0600,
        // also what an older version left.
        lanchat_net::private::dir(&config.data_dir)
            .and_then(|()| lanchat_net::private::tighten_all(&config.data_dir))
            .map_err(EngineError::DataDir)?;
        let pins = known::load(&config.data_dir).map_err(EngineError::Known)?;
        let opaque_logins = known::load_opaque(&config.data_dir).map_err(EngineError::Known)?;
        let (beacon_tx, beacons) = mpsc::channel(256);
        let discovery = if let Some(cfg) = config.discovery.clone() {
            let d = Arc::new(Discovery::bind(cfg)?);
            tokio::spawn(listen(d.clone(), beacon_tx));
            Some(d)
        } else {
            None
        };
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let (transfers, peer_endpoint) = Transfers::new(
            &config.data_dir,
            config.peer_listen,
            events.clone(),
            notes_tx.clone(),
        )
        .map_err(EngineError::Peer)?;
        // crossbeam is blocking; a small thread turns it into an async stream.
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("lanchat-commands".into())
            .spawn(move || {
                while let Ok(c) = commands.recv() {
                    let last = matches!(c, Command::Shutdown);
                    if command_tx.send(c).is_err() || last {
                        break;
                    }
                }
            })
            .map_err(EngineError::Runtime)?;
        let core_config = CoreConfig {
            coordinator: config.coordinator.clone(),
            accept_new_fingerprint: config.accept_new_fingerprint,
            trust_first_contact: config.trust_first_contact,
            trusted: config.trusted.clone(),
            hints: config.hints.clone(),
            client_name: config.client_name.clone(),
            peer_endpoint,
            remember_session: config.remember_session,
        };
        let mut core = Core::new(core_config, pins, Instant::now());
        core.set_opaque_logins(opaque_logins);
        if config.remember_session {
            match remembered::load(&config.data_dir) {
                Ok(Some(saved)) => core.restore_session(saved),
                Ok(None) => {}
                // Not fatal: the person logs in with the password instead.
                Err(e) => tracing::warn!("cannot read the kept session: {e}"),
            }
        }
        Ok(Driver {
            core,
            data_dir: config.data_dir,
            events,
            commands: command_rx,
            beacons,
            discovery,
            notes_tx,
            notes,
            link: Link::None,
            attempt: 0,
            transfers,
        })
    }

    async fn run(mut self) {
        loop {
            self.flush().await;
            if self.core.is_stopped() {
                break;
            }
            let deadline = self.core.poll_timeout();
            tokio::select! {
                () = sleep_until(deadline) => self.core.handle_timeout(Instant::now()),
                command = self.commands.recv() => {
                    let command = command.unwrap_or(Command::Shutdown);
                    self.core.handle_command(command, Instant::now());
                }
                Some((beacon, from)) = self.beacons.recv() => {
                    self.core.handle_beacon(beacon, from, Instant::now());
                }
                frame = next_frame(&mut self.link) => match frame {
                    Some(frame) => self.core.handle_frame(frame, Instant::now()),
                    None => self.lost(None),
                },
                Some(note) = self.notes.recv() => self.on_note(note),
            }
        }
        self.close();
    }

    /// Does what the core asks, then hands its events to the front end, until it has nothing
    /// more to say. Actions go first: an event may tell of what an action made true (a
    /// `Connected` follows the pin being saved).
    async fn flush(&mut self) {
        while let Some(action) = self.core.poll_action() {
            self.act(action).await;
        }
        while let Some(event) = self.core.poll_event() {
            let _ = self.events.send(event);
        }
    }

    async fn act(&mut self, action: Action) {
        match action {
            Action::Probe => {
                if let Some(d) = &self.discovery {
                    if let Err(e) = d.send(BeaconKind::Probe).await {
                        tracing::warn!("multicast probe failed: {e}");
                    }
                }
            }
            Action::Connect(targets) => {
                self.close();
                self.attempt += 1;
                let (attempt, notes) = (self.attempt, self.notes_tx.clone());
                let task = tokio::spawn(async move {
                    let result = connection::race(targets).await;
                    let _ = notes.send(Note::Connected { attempt, result });
                });
                self.link = Link::Connecting(task.abort_handle());
            }
            Action::Transmit(frame) => {
                let Link::Open(open) = &mut self.link else {
                    return;
                };
                if let Err(e) = write_frame(&mut open.send, &frame).await {
                    self.lost(Some(format!("connection lost: {e}")));
                }
            }
            Action::Close => self.close(),
            Action::SessionReady => {
                if let Link::Open(open) = &self.link {
                    self.transfers
                        .set_coordinator(Some(open.connection.clone()));
                }
            }
            Action::SavePins(pins) => {
                if let Err(e) = known::save(&self.data_dir, &pins) {
                    let message = format!("cannot save the coordinator's fingerprint: {e}");
                    self.core.handle_io_error(message, None);
                }
            }
            Action::SaveOpaqueLogins(logins) => {
                if let Err(e) = known::save_opaque(&self.data_dir, &logins) {
                    let message = format!("cannot save which coordinators know OPAQUE: {e}");
                    self.core.handle_io_error(message, None);
                }
            }
            Action::SaveSession(saved) => {
                if let Err(e) = remembered::save(&self.data_dir, &saved) {
                    let message = format!("cannot keep the session for the next start: {e}");
                    self.core.handle_io_error(message, None);
                }
            }
            Action::ForgetSession => {
                if let Err(e) = remembered::forget(&self.data_dir) {
                    let message = format!("cannot delete the kept session: {e}");
                    self.core.handle_io_error(message, Some("logout"));
                }
            }
            Action::Hash(job) => self.transfers.hash(job),
            Action::Scan(job) => self.transfers.scan(job),
            Action::Transfer(job) => self.transfers.start(job),
            Action::Abort(key) => self.transfers.abort(key),
            Action::AnswerPeer { ticket, plan } => self.transfers.answer_peer(ticket, plan),
            Action::CreateDir { dir, command } => {
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    let message = format!("cannot create {}: {e}", dir.display());
                    self.core.handle_io_error(message, Some(command));
                }
            }
            Action::RemoveDir(path) => {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }

    fn on_note(&mut self, note: Note) {
        let now = Instant::now();
        match note {
            Note::Connected { attempt, result } => {
                if attempt != self.attempt || !matches!(self.link, Link::Connecting(_)) {
                    return;
                }
                match result {
                    Ok(opened) => {
                        let (addr, fingerprint) = (opened.addr, opened.fingerprint);
                        let open = Open::new(opened.connection, opened.send, opened.recv);
                        self.link = Link::Open(open);
                        self.core.handle_connected(addr, fingerprint, now);
                    }
                    Err(reason) => {
                        self.link = Link::None;
                        self.core.handle_connect_failed(reason, now);
                    }
                }
            }
            Note::Hashed { job, result } => self.core.handle_hashed(job, result),
            Note::Scanned { job, result } => self.core.handle_scanned(job, result),
            Note::Finished {
                key,
                name,
                size,
                result,
            } => {
                self.transfers.ended(key);
                self.core.handle_transfer_finished(key, name, size, result);
            }
            Note::Incoming {
                offer,
                token,
                reply,
            } => {
                let ticket = self.transfers.hold_peer(reply);
                self.core.handle_peer_stream(ticket, offer, token);
            }
        }
    }

    /// The chat stream ended (`reason` given when a write failed).
    fn lost(&mut self, reason: Option<String>) {
        let reason = match (&self.link, reason) {
            (_, Some(reason)) => reason,
            (Link::Open(open), None) => open.lost_reason(),
            _ => "connection lost".into(),
        };
        self.close();
        self.core.handle_connection_lost(reason, Instant::now());
    }

    /// Closes the connection or gives up the attempt under way.
    fn close(&mut self) {
        self.transfers.set_coordinator(None);
        match std::mem::replace(&mut self.link, Link::None) {
            Link::None => {}
            Link::Connecting(task) => task.abort(),
            Link::Open(open) => open.close(),
        }
    }
}

/// Waits until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// The next frame of the open chat stream (`None`: it ended); never returns without one.
async fn next_frame(link: &mut Link) -> Option<ServerFrame> {
    match link {
        Link::Open(open) => open.frames.recv().await,
        _ => std::future::pending().await,
    }
}

/// Receives beacons for the engine.
async fn listen(discovery: Arc<Discovery>, out: mpsc::Sender<(Beacon, SocketAddr)>) {
    loop {
        match discovery.recv().await {
            Ok(received) => {
                if out.send(received).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("multicast receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
