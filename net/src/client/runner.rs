//! The engine's async loop: locate the coordinator, connect, log in, serve, and on any loss
//! start again with backoff — keeping unacknowledged messages and the delivery position.
mod files;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use super::known::{KnownCoordinators, Pinned};
use super::locate::{self, Candidate};
use super::sequencer::{Sequencer, Step};
use super::{Command, EngineConfig, EngineError, Event, Target};
use crate::beacon::{Beacon, BeaconKind};
use crate::discovery::Discovery;
use crate::fingerprint::{Fingerprint, Pin};
use crate::framed::{write_frame, FrameError, FrameReader};
use crate::protocol::{
    ClientFrame, ConvRef, ErrorCode, ErrorInfo, Event as Push, MsgId, PresenceStatus, Reply,
    Request, ServerFrame, MAX_HISTORY_PAGE, PROTOCOL_VERSION,
};
use crate::tls;

/// How long to collect announcements after the first one before choosing.
const COLLECT: Duration = Duration::from_millis(150);
/// How often to probe again while nobody answers.
const REPROBE: Duration = Duration::from_secs(1);
/// Handshake plus hello must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Commands kept while disconnected, beyond unacknowledged messages.
const MAX_QUEUED: usize = 1000;

/// Engine thread entry point.
pub fn main(
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
        let runner = match Runner::new(config, commands, events.clone()) {
            Ok(r) => r,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        runner.run().await;
        let _ = events.send(Event::Stopped);
    });
}

/// Why a connection ended.
enum Ended {
    /// Stop the engine.
    Stop,
    /// Try again after the backoff.
    Retry(String),
}

/// What a request's reply is for.
#[derive(Debug)]
enum Pending {
    Hello,
    Auth {
        register: bool,
    },
    Resume,
    Send(MsgId),
    After(ConvRef),
    History,
    Search(String),
    Join,
    Logout,
    Offer(PathBuf),
    Accept(u64),
    Share(MsgId),
    /// Bookkeeping the front end need not hear about (unless it fails).
    Quiet,
    Other(&'static str),
}

/// Credentials kept in memory to log in again when a session token is refused.
#[derive(Clone)]
struct Credentials {
    username: String,
    password: String,
    register: bool,
}

struct Runner {
    config: EngineConfig,
    events: Sender<Event>,
    commands: mpsc::UnboundedReceiver<Command>,
    beacons: mpsc::Receiver<(Beacon, SocketAddr)>,
    discovery: Option<Arc<Discovery>>,
    known: KnownCoordinators,
    credentials: Option<Credentials>,
    token: Option<[u8; 32]>,
    logged_in_before: bool,
    /// Sent but not yet acknowledged, in order; resent after a reconnect.
    unacked: Vec<(ConvRef, MsgId, String)>,
    /// Other commands given while disconnected.
    queued: VecDeque<Command>,
    sequencer: Sequencer,
    presence: HashMap<String, (PresenceStatus, String)>,
    accepted: HashSet<(String, Fingerprint)>,
    /// Coordinators (by announced id) that said they were shutting down: their last
    /// announcements may still be in flight and must not lure us back.
    retired: HashSet<u64>,
    /// The coordinator of the current connection: announced id and start time.
    current_id: Option<u64>,
    current_started: u64,
    warned: HashSet<(String, Fingerprint)>,
    next_id: u64,
    files: files::Files,
}

/// A live connection's write half and pending requests.
struct Link {
    connection: quinn::Connection,
    send: quinn::SendStream,
    pending: HashMap<u64, Pending>,
}

impl Runner {
    fn new(
        config: EngineConfig,
        commands: Receiver<Command>,
        events: Sender<Event>,
    ) -> Result<Self, EngineError> {
        let known = KnownCoordinators::load(&config.data_dir).map_err(EngineError::Known)?;
        let (beacon_tx, beacons) = mpsc::channel(256);
        let discovery = if let Some(cfg) = config.discovery.clone() {
            let d = Arc::new(Discovery::bind(cfg)?);
            tokio::spawn(listen(d.clone(), beacon_tx));
            Some(d)
        } else {
            None
        };
        let files = files::Files::new(&config.data_dir, config.peer_listen, events.clone())
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
        Ok(Runner {
            config,
            events,
            commands: command_rx,
            beacons,
            discovery,
            known,
            credentials: None,
            token: None,
            logged_in_before: false,
            unacked: Vec::new(),
            queued: VecDeque::new(),
            sequencer: Sequencer::default(),
            presence: HashMap::new(),
            accepted: HashSet::new(),
            retired: HashSet::new(),
            current_id: None,
            current_started: 0,
            warned: HashSet::new(),
            next_id: 1,
            files,
        })
    }

    async fn probe(&self) {
        if let Some(d) = &self.discovery {
            if let Err(e) = d.send(BeaconKind::Probe).await {
                tracing::warn!("multicast probe failed: {e}");
            }
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn error(&self, code: Option<ErrorCode>, message: impl Into<String>, command: Option<&str>) {
        self.emit(Event::Error {
            code,
            message: message.into(),
            command: command.map(str::to_string),
        });
    }

    async fn run(mut self) {
        let mut backoff = Duration::from_millis(250);
        loop {
            let Some((target, name)) = self.locate().await else {
                return;
            };
            match self.connect_and_serve(target, &name).await {
                Ended::Stop => return,
                Ended::Retry(reason) => {
                    self.sequencer.connection_lost();
                    if self.logged_in_before {
                        backoff = Duration::from_millis(250);
                    }
                    self.emit(Event::Disconnected {
                        reason,
                        retry_in_ms: backoff.as_millis() as u64,
                    });
                    if !self.wait_offline(Instant::now() + backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Handles commands while not connected until `until`. False when told to stop.
    async fn wait_offline(&mut self, until: Instant) -> bool {
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                command = self.commands.recv() => {
                    if !self.offline_command(command) {
                        return false;
                    }
                }
                Some((beacon, _)) = self.beacons.recv() => self.note_beacon(&beacon),
                Some(note) = self.files.notes.recv() => {
                    let _ = self.on_note(None, note).await;
                }
            }
        }
    }

    /// A command while there is no session. False when told to stop.
    fn offline_command(&mut self, command: Option<Command>) -> bool {
        match command {
            None | Some(Command::Shutdown) => false,
            // A login is under way (or will resume): do what was asked before, then log out.
            Some(Command::Logout) if self.credentials.is_some() || self.token.is_some() => {
                self.queued.push_back(Command::Logout);
                true
            }
            Some(Command::Logout) => {
                if !self.unacked.is_empty() {
                    self.error(
                        None,
                        format!(
                            "{} message(s) were not delivered: not connected to the coordinator",
                            self.unacked.len()
                        ),
                        Some("logout"),
                    );
                }
                self.emit(Event::LoggedOut);
                false
            }
            Some(Command::Login { username, password }) => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: false,
                });
                true
            }
            Some(Command::Register { username, password }) => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: true,
                });
                true
            }
            Some(Command::AcceptFingerprint { name, fingerprint }) => {
                self.accepted.insert((name, fingerprint));
                true
            }
            Some(Command::Send { conv, text, id }) => {
                self.unacked.push((conv, id, text));
                true
            }
            Some(other) => {
                if self.queued.len() < MAX_QUEUED {
                    self.queued.push_back(other);
                } else {
                    self.error(
                        None,
                        "not connected, and too many commands are waiting",
                        None,
                    );
                }
                true
            }
        }
    }

    /// Whether `beacon` says our coordinator was replaced by a newer start of itself (same
    /// name, new id, later start, same address and same identity): after a crash the old
    /// connection would otherwise linger until its idle timeout. Anyone who knows the realm can
    /// announce anything, so an announcement with another fingerprint is never a restart of ours
    /// (it would be refused on reconnect anyway): dropping a working session for it would let a
    /// forger disconnect every client at will. The pin is checked again on reconnect.
    fn restarted(&self, beacon: &Beacon, from: SocketAddr, name: &str, target: &Target) -> bool {
        match (&beacon.kind, self.current_id) {
            (BeaconKind::Announce(a), Some(current)) => {
                a.name == name
                    && a.coordinator_id != current
                    && a.started_ms > self.current_started
                    && target.pin.matches(&Fingerprint(a.fingerprint))
                    && Candidate::new(a.clone(), from).addr.ip() == target.addr.ip()
            }
            _ => false,
        }
    }

    fn note_beacon(&mut self, beacon: &Beacon) {
        if let BeaconKind::Presence {
            username,
            display,
            status,
        } = &beacon.kind
        {
            self.note_presence(username, display, *status);
        }
    }

    /// Emits a presence change once, whichever path (QUIC or multicast) brings it first.
    fn note_presence(&mut self, username: &str, display: &str, status: PresenceStatus) {
        let key = username.to_lowercase();
        let now = (status, display.to_string());
        if self.presence.get(&key) == Some(&now) {
            return;
        }
        self.presence.insert(key, now);
        self.emit(Event::Presence(crate::protocol::UserInfo {
            username: username.to_string(),
            display: display.to_string(),
            status,
        }));
    }

    /// Finds the coordinator (explicit or by multicast) and checks its pin. `None`: stop.
    ///
    /// The candidates heard are tried in the order every client uses; one whose fingerprint
    /// differs from the pinned one is refused (with a warning naming both) and the next one is
    /// taken: otherwise anyone announcing the coordinator's name with an earlier start would
    /// keep every client that pinned the real one from ever reaching it.
    async fn locate(&mut self) -> Option<(Target, String)> {
        self.current_id = None;
        if let Some(target) = self.config.coordinator.clone() {
            return Some((target, "coordinator".to_string()));
        }
        self.emit(Event::Discovering);
        loop {
            let ranked = self.listen_for_coordinator().await?;
            let chosen = ranked
                .into_iter()
                .find_map(|c| self.admit(&c.announce).map(|first_use| (c, first_use)));
            let Some((candidate, first_use)) = chosen else {
                if !self.wait_offline(Instant::now() + REPROBE).await {
                    return None;
                }
                continue;
            };
            let a = &candidate.announce;
            let fp = Fingerprint(a.fingerprint);
            self.emit(Event::CoordinatorFound {
                name: a.name.clone(),
                addr: candidate.addr,
                fingerprint: fp,
                first_use,
            });
            let name = a.name.clone();
            self.current_id = Some(a.coordinator_id);
            self.current_started = a.started_ms;
            let target = Target {
                addr: candidate.addr,
                pin: Pin::exact(fp),
            };
            return Some((target, name));
        }
    }

    /// Whether the announced coordinator may be used: `Some(first_use)`, or `None` when its
    /// fingerprint differs from the one pinned for its name (warned about once).
    fn admit(&mut self, a: &crate::beacon::Announce) -> Option<bool> {
        let fp = Fingerprint(a.fingerprint);
        match self.known.check(&a.name, &fp) {
            Pinned::Same => Some(false),
            Pinned::New => Some(true),
            Pinned::Changed { pinned } => {
                let key = (a.name.clone(), fp);
                if self.config.accept_new_fingerprint || self.accepted.contains(&key) {
                    return Some(true);
                }
                if self.warned.insert(key) {
                    self.emit(Event::FingerprintChanged {
                        name: a.name.clone(),
                        pinned: pinned.clone(),
                        offered: fp,
                    });
                    self.error(
                        None,
                        format!(
                            "refusing coordinator '{}': it presents fingerprint {fp} but \
                             {pinned} is pinned. If it was reinstalled, accept the new \
                             fingerprint (--accept-new-fingerprint); otherwise someone \
                             may be impersonating it",
                            a.name
                        ),
                        None,
                    );
                }
                None
            }
        }
    }

    /// Probes and collects announcements; returns them best first (never empty); `None`: stop.
    async fn listen_for_coordinator(&mut self) -> Option<Vec<Candidate>> {
        let mut heard: HashMap<u64, Candidate> = HashMap::new();
        let mut choose_at: Option<Instant> = None;
        let mut warned_version = false;
        loop {
            self.probe().await;
            let reprobe = Instant::now() + REPROBE;
            loop {
                let deadline = choose_at.unwrap_or(reprobe).min(reprobe);
                tokio::select! {
                    _ = sleep_until(deadline) => {
                        if choose_at.is_some_and(|t| t <= Instant::now()) {
                            return Some(locate::ranked(&heard));
                        }
                        break;
                    }
                    command = self.commands.recv() => {
                        if !self.offline_command(command) {
                            return None;
                        }
                    }
                    Some((beacon, from)) = self.beacons.recv() => match beacon.kind {
                        BeaconKind::Announce(a) if a.protocol_version != PROTOCOL_VERSION => {
                            if !warned_version {
                                warned_version = true;
                                self.error(None, format!(
                                    "coordinator '{}' speaks lanchat protocol {}, this client \
                                     speaks {PROTOCOL_VERSION}; one of them needs updating",
                                    a.name, a.protocol_version), None);
                            }
                        }
                        BeaconKind::Announce(a) if self.retired.contains(&a.coordinator_id) => {}
                        BeaconKind::Announce(a) => {
                            heard.insert(a.coordinator_id, Candidate::new(a, from));
                            choose_at.get_or_insert(Instant::now() + COLLECT);
                        }
                        _ => self.note_beacon(&beacon),
                    },
                    Some(note) = self.files.notes.recv() => {
                        let _ = self.on_note(None, note).await;
                    }
                }
            }
        }
    }

    async fn connect_and_serve(&mut self, target: Target, name: &str) -> Ended {
        let (connection, send, recv) =
            match tokio::time::timeout(CONNECT_TIMEOUT, connect(&target)).await {
                Ok(Ok(parts)) => parts,
                Ok(Err(reason)) => return Ended::Retry(reason),
                Err(_) => {
                    return Ended::Retry(format!(
                        "coordinator at {} did not answer within {} s",
                        target.addr,
                        CONNECT_TIMEOUT.as_secs()
                    ))
                }
            };
        let (frame_tx, mut frames) = mpsc::channel(256);
        let reader = tokio::spawn(read_loop(recv, frame_tx));
        let mut link = Link {
            connection: connection.clone(),
            send,
            pending: HashMap::new(),
        };
        let ended = self
            .serve(&mut link, &mut frames, &target, name)
            .await
            .unwrap_or_else(|e| Ended::Retry(format!("connection lost: {e}")));
        self.files.coordinator.send_replace(None);
        reader.abort();
        let _ = link.send.finish();
        connection.close(0u32.into(), b"bye");
        ended
    }

    async fn serve(
        &mut self,
        link: &mut Link,
        frames: &mut mpsc::Receiver<ServerFrame>,
        target: &Target,
        name: &str,
    ) -> Result<Ended, FrameError> {
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: self.config.client_name.clone(),
        };
        self.request(link, hello, Pending::Hello).await?;
        let mut logged_in = false;
        loop {
            if !logged_in && !link.pending.values().any(is_auth_or_hello) {
                // Ask to log in with what we have, or wait for the front end to say who.
                if let Some(token) = self.token {
                    self.request(link, Request::Resume { token }, Pending::Resume)
                        .await?;
                } else if let Some(c) = self.credentials.clone() {
                    let request = if c.register {
                        Request::Register {
                            username: c.username,
                            password: c.password,
                        }
                    } else {
                        Request::Login {
                            username: c.username,
                            password: c.password,
                        }
                    };
                    self.request(
                        link,
                        request,
                        Pending::Auth {
                            register: c.register,
                        },
                    )
                    .await?;
                }
            }
            tokio::select! {
                frame = frames.recv() => {
                    let Some(frame) = frame else {
                        return Ok(Ended::Retry(lost_reason(&link.connection)));
                    };
                    match self.on_frame(link, frame, target, name, &mut logged_in).await? {
                        Some(ended) => return Ok(ended),
                        None => continue,
                    }
                }
                command = self.commands.recv() => {
                    let Some(command) = command else { return Ok(Ended::Stop) };
                    if logged_in {
                        if let Some(ended) = self.online_command(link, command).await? {
                            return Ok(ended);
                        }
                    } else if !self.offline_command(Some(command)) {
                        return Ok(Ended::Stop);
                    }
                }
                Some((beacon, from)) = self.beacons.recv() => {
                    if self.restarted(&beacon, from, name, target) {
                        return Ok(Ended::Retry(format!("coordinator '{name}' restarted")));
                    }
                    self.note_beacon(&beacon);
                }
                Some(note) = self.files.notes.recv() => {
                    self.on_note(logged_in.then_some(&mut *link), note).await?;
                }
            }
        }
    }

    async fn request(
        &mut self,
        link: &mut Link,
        request: Request,
        pending: Pending,
    ) -> Result<(), FrameError> {
        let id = self.next_id;
        self.next_id += 1;
        link.pending.insert(id, pending);
        write_frame(&mut link.send, &ClientFrame { id, request }).await
    }

    /// A command with a session. `Some` ends the connection.
    async fn online_command(
        &mut self,
        link: &mut Link,
        command: Command,
    ) -> Result<Option<Ended>, FrameError> {
        if self.file_command(link, &command).await? {
            return Ok(None);
        }
        let (request, pending) = match command {
            Command::SendFile { .. }
            | Command::ShareFile { .. }
            | Command::AcceptOffer { .. }
            | Command::DenyOffer(_)
            | Command::CancelOffer(_)
            | Command::Download { .. } => return Ok(None),
            Command::Shutdown => return Ok(Some(Ended::Stop)),
            Command::Logout => (Request::Logout, Pending::Logout),
            Command::Login { .. } | Command::Register { .. } => {
                self.error(None, "already logged in", Some("login"));
                return Ok(None);
            }
            Command::AcceptFingerprint { name, fingerprint } => {
                self.accepted.insert((name, fingerprint));
                return Ok(None);
            }
            Command::Send { conv, text, id } => {
                self.unacked.push((conv.clone(), id, text.clone()));
                (Request::Send { conv, id, text }, Pending::Send(id))
            }
            Command::History {
                conv,
                before,
                limit,
            } => (
                Request::Before {
                    conv: conv.clone(),
                    before: before.unwrap_or(u64::MAX),
                    limit,
                },
                Pending::History,
            ),
            Command::MarkRead { conv, seq } => {
                (Request::MarkRead { conv, seq }, Pending::Other("read"))
            }
            Command::CreateRoom(name) => (Request::CreateRoom { name }, Pending::Join),
            Command::JoinRoom(name) => (Request::JoinRoom { name }, Pending::Join),
            Command::LeaveRoom(name) => (Request::LeaveRoom { name }, Pending::Other("leave")),
            Command::ListRooms => (Request::ListRooms, Pending::Other("rooms")),
            Command::Members(name) => (Request::Members { name }, Pending::Other("members")),
            Command::SetTopic { room, topic } => (
                Request::SetTopic { name: room, topic },
                Pending::Other("topic"),
            ),
            Command::Kick { room, user } => {
                (Request::Kick { name: room, user }, Pending::Other("kick"))
            }
            Command::Promote { room, user } => (
                Request::Promote { name: room, user },
                Pending::Other("promote"),
            ),
            Command::Users => (Request::Users, Pending::Other("who")),
            Command::Search(query) => (
                Request::Search {
                    query: query.clone(),
                    limit: 50,
                },
                Pending::Search(query),
            ),
            Command::SetDisplay(display) => {
                (Request::SetDisplay { display }, Pending::Other("nick"))
            }
            Command::ChangePassword { old, new } => (
                Request::ChangePassword { old, new },
                Pending::Other("passwd"),
            ),
            Command::SetAway(away) => (
                Request::SetAway { away },
                Pending::Other(if away { "away" } else { "back" }),
            ),
            Command::SetMuted { conv, muted } => (
                Request::SetMuted { conv, muted },
                Pending::Other(if muted { "mute" } else { "unmute" }),
            ),
            Command::Summaries => (Request::Summaries, Pending::Other("unread")),
        };
        self.request(link, request, pending).await?;
        Ok(None)
    }

    /// A frame from the coordinator. `Some` ends the connection.
    async fn on_frame(
        &mut self,
        link: &mut Link,
        frame: ServerFrame,
        target: &Target,
        name: &str,
        logged_in: &mut bool,
    ) -> Result<Option<Ended>, FrameError> {
        let (id, result) = match frame {
            ServerFrame::Event(push) => {
                self.on_push(link, push).await?;
                return Ok(None);
            }
            ServerFrame::Reply { id, result } => (id, result),
        };
        let Some(pending) = link.pending.remove(&id) else {
            if let Err(e) = result {
                // Id 0: the coordinator refused the connection itself (malformed frame).
                self.error(Some(e.code), e.message, None);
            }
            return Ok(None);
        };
        if self.file_reply(&pending, &result) {
            return Ok(None);
        }
        match (pending, result) {
            (Pending::Hello, Ok(Reply::Welcome { name: server, .. })) => {
                self.pin_after_handshake(name, target);
                self.emit(Event::Connected {
                    name: server,
                    addr: target.addr,
                });
            }
            (Pending::Hello, Err(e)) => {
                self.error(Some(e.code), e.message.clone(), None);
                return Ok(Some(Ended::Retry(e.message)));
            }
            (
                Pending::Auth { .. } | Pending::Resume,
                Ok(Reply::LoggedIn {
                    user,
                    token,
                    conversations,
                }),
            ) => {
                *logged_in = true;
                self.token = Some(token);
                if let Some(c) = &mut self.credentials {
                    c.register = false;
                }
                let resumed = self.logged_in_before;
                self.logged_in_before = true;
                self.note_presence(&user.username, &user.display, user.status);
                self.emit(Event::LoggedIn {
                    user,
                    conversations: conversations.clone(),
                    resumed,
                });
                for s in &conversations {
                    if let Some((conv, after)) =
                        self.sequencer.learn(&s.conv, s.read_seq, s.last_seq)
                    {
                        self.fetch(link, conv, after).await?;
                    }
                }
                // Resend what was never acknowledged (idempotent by id), then the rest.
                for (conv, id, text) in self.unacked.clone() {
                    self.request(link, Request::Send { conv, id, text }, Pending::Send(id))
                        .await?;
                }
                self.files
                    .coordinator
                    .send_replace(Some(link.connection.clone()));
                if let Some(request) = self.files.endpoint_request() {
                    self.request(link, request, Pending::Quiet).await?;
                }
                for (request, pending) in std::mem::take(&mut self.files.deferred) {
                    self.request(link, request, pending).await?;
                }
                while let Some(command) = self.queued.pop_front() {
                    if let Some(ended) = self.online_command(link, command).await? {
                        return Ok(Some(ended));
                    }
                }
            }
            (Pending::Resume, Err(e)) => {
                // The token is gone (expired, or the coordinator lost it): use the password.
                tracing::debug!("resume refused: {}", e.message);
                self.token = None;
                if self.credentials.is_none() {
                    self.error(Some(e.code), e.message, Some("login"));
                }
            }
            (Pending::Auth { register }, Err(e)) => {
                self.credentials = None;
                self.error(
                    Some(e.code),
                    e.message,
                    Some(if register { "register" } else { "login" }),
                );
            }
            (Pending::Send(id), result) => {
                self.unacked.retain(|(_, unacked, _)| *unacked != id);
                match result {
                    Ok(Reply::Sent { conv, id, seq, .. }) => {
                        self.emit(Event::Sent { conv, id, seq })
                    }
                    Ok(other) => self.unexpected("send", &other),
                    Err(e) => self.error(Some(e.code), e.message, Some("send")),
                }
            }
            (Pending::After(conv), Ok(Reply::Messages { messages, .. })) => {
                let full = messages.len() as u32 >= MAX_HISTORY_PAGE;
                let step = self.sequencer.page(&conv, messages, full);
                self.deliver(link, step, true).await?;
            }
            (Pending::History, Ok(Reply::Messages { conv, messages })) => {
                self.emit(Event::History { conv, messages })
            }
            (Pending::Search(query), Ok(Reply::SearchResults(messages))) => {
                self.emit(Event::SearchResults { query, messages })
            }
            (Pending::Join, Ok(Reply::Summaries(list))) => {
                for s in list {
                    if let Some((conv, after)) =
                        self.sequencer.learn(&s.conv, s.read_seq, s.last_seq)
                    {
                        self.fetch(link, conv, after).await?;
                    }
                    self.emit(Event::Joined(s));
                }
            }
            (Pending::Logout, result) => {
                if let Err(e) = result {
                    self.error(Some(e.code), e.message, Some("logout"));
                }
                self.token = None;
                self.emit(Event::LoggedOut);
                return Ok(Some(Ended::Stop));
            }
            (Pending::Other(_), Ok(Reply::Rooms(rooms))) => self.emit(Event::Rooms(rooms)),
            (Pending::Other(_), Ok(Reply::Members { name, members })) => {
                self.emit(Event::Members {
                    room: name,
                    members,
                })
            }
            (Pending::Other(_), Ok(Reply::Users(users))) => {
                for u in &users {
                    self.note_presence(&u.username, &u.display, u.status);
                }
                self.emit(Event::Users(users))
            }
            (Pending::Other(_), Ok(Reply::Summaries(list))) => self.emit(Event::Summaries(list)),
            (Pending::Quiet, Ok(_)) => {}
            (Pending::Other(command), Ok(Reply::Ok)) => self.emit(Event::Done {
                command: command.to_string(),
            }),
            (pending, Err(e)) => {
                let command = match pending {
                    Pending::Other(c) => c.to_string(),
                    Pending::History | Pending::After(_) => "history".into(),
                    Pending::Search(_) => "search".into(),
                    Pending::Join => "join".into(),
                    other => format!("{other:?}"),
                };
                self.emit(Event::Error {
                    code: Some(e.code),
                    message: e.message,
                    command: Some(command),
                });
            }
            (pending, Ok(reply)) => self.unexpected(&format!("{pending:?}"), &reply),
        }
        Ok(None)
    }

    fn unexpected(&self, what: &str, reply: &Reply) {
        tracing::warn!("unexpected reply to {what}: {reply:?}");
    }

    fn pin_after_handshake(&mut self, name: &str, target: &Target) {
        // Only discovered coordinators are pinned by name; an explicit one is pinned by flag.
        if self.config.coordinator.is_some() {
            return;
        }
        // The handshake proved the server holds the key for this exact fingerprint.
        let Ok(fp_bytes) = <[u8; 32]>::try_from(target.pin.bytes()) else {
            return;
        };
        let fp = Fingerprint(fp_bytes);
        if self.known.check(name, &fp) != Pinned::Same {
            if let Err(e) = self.known.pin(name, &fp) {
                self.error(
                    None,
                    format!("cannot save the coordinator's fingerprint: {e}"),
                    None,
                );
            }
        }
    }

    async fn on_push(&mut self, link: &mut Link, push: Push) -> Result<(), FrameError> {
        match push {
            Push::Message(message) => {
                let step = self.sequencer.live(message);
                self.deliver(link, step, false).await?;
            }
            Push::Presence(user) => self.note_presence(&user.username, &user.display, user.status),
            Push::Membership { room, user, change } => {
                self.emit(Event::Membership { room, user, change })
            }
            Push::Topic { room, topic, by } => self.emit(Event::Topic { room, topic, by }),
            Push::ConvState(summary) => self.emit(Event::ConvState(summary)),
            push @ (Push::FileOffer(_)
            | Push::OfferAnswered { .. }
            | Push::OfferCancelled { .. }
            | Push::RelayRequested { .. }) => {
                self.file_push(&push);
            }
            Push::Shutdown { reason } => {
                tracing::info!("coordinator shutting down: {reason}");
                self.retired.extend(self.current_id);
            }
        }
        Ok(())
    }

    async fn deliver(
        &mut self,
        link: &mut Link,
        step: Step,
        backlog: bool,
    ) -> Result<(), FrameError> {
        for message in step.deliver {
            self.emit(Event::Message { message, backlog });
        }
        if let Some((conv, after)) = step.fetch {
            self.fetch(link, conv, after).await?;
        }
        Ok(())
    }

    async fn fetch(
        &mut self,
        link: &mut Link,
        conv: ConvRef,
        after: u64,
    ) -> Result<(), FrameError> {
        let request = Request::After {
            conv: conv.clone(),
            after,
            limit: MAX_HISTORY_PAGE,
        };
        self.request(link, request, Pending::After(conv)).await
    }
}

fn is_auth_or_hello(p: &Pending) -> bool {
    matches!(p, Pending::Hello | Pending::Auth { .. } | Pending::Resume)
}

async fn connect(
    target: &Target,
) -> Result<(quinn::Connection, quinn::SendStream, quinn::RecvStream), String> {
    let bind: SocketAddr = if target.addr.is_ipv4() {
        "0.0.0.0:0".parse().expect("valid address")
    } else {
        "[::]:0".parse().expect("valid address")
    };
    let endpoint =
        tls::endpoint(bind, None).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let config = tls::client_config(target.pin.clone()).map_err(|e| e.to_string())?;
    let connecting = endpoint
        .connect_with(config, target.addr, "lanchat")
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
    let connection = connecting
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
    let (send, recv) = connection
        .open_bi()
        .await
        .map_err(|e| format!("connection to {} failed: {e}", target.addr))?;
    Ok((connection, send, recv))
}

/// Reads frames into a channel, so the select loop never cancels a half-read frame.
/// Why the coordinator's stream ended, in words: a silent network (keep-alives unanswered) is
/// not the coordinator closing the connection.
fn lost_reason(connection: &quinn::Connection) -> String {
    match connection.close_reason() {
        Some(quinn::ConnectionError::TimedOut) => {
            "the coordinator stopped answering (network down or coordinator gone)".into()
        }
        Some(quinn::ConnectionError::ApplicationClosed(_)) | None => {
            "the coordinator closed the connection".into()
        }
        Some(other) => format!("connection lost: {other}"),
    }
}

async fn read_loop(mut recv: quinn::RecvStream, frames: mpsc::Sender<ServerFrame>) {
    let mut reader = FrameReader::new();
    loop {
        match reader.next::<ServerFrame>(&mut recv).await {
            Ok(Some(frame)) => {
                if frames.send(frame).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                tracing::debug!("read failed: {e}");
                if let FrameError::Codec(c) = e {
                    let info =
                        ErrorInfo::new(ErrorCode::BadRequest, format!("coordinator sent {c}"));
                    let _ = frames
                        .send(ServerFrame::Reply {
                            id: 0,
                            result: Err(info),
                        })
                        .await;
                }
                return;
            }
        }
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
