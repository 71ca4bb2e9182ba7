//! The client core: every decision of the engine, with no I/O and no clock.
//!
//! The core is a state machine in the manner of quinn-proto. Its driver feeds it what
//! happened — [`Core::handle_command`], [`Core::handle_beacon`], [`Core::handle_connected`],
//! [`Core::handle_frame`], [`Core::handle_connection_lost`], [`Core::handle_timeout`] and the
//! ends of the driver's tasks — always with the current time, and drains what to do next:
//! [`Core::poll_action`] (connect, send a frame, probe, start a transfer…),
//! [`Core::poll_event`] (what the front end is told) and [`Core::poll_timeout`] (when to call
//! `handle_timeout`). Nothing here waits, sleeps, or touches a socket or a file, so every
//! behaviour is unit-tested step by step.
//!
//! The life of a connection: locate a coordinator (probe the multicast group, collect the
//! answers for a moment, take the first acceptable one in the order every client uses) →
//! connect → hello → resume the session with its token or log in → serve → on any loss, back
//! off and start again, keeping unacknowledged messages and each conversation's delivery
//! position, so the front end sees every message once and in order.
//!
//! # Layout
//! - this file: the phases, the request table, and the chat side (login, messages, replies).
//! - [`locate`]: choosing a coordinator from multicast announcements.
//! - [`pins`]: pinned fingerprints (trust on first use).
//! - [`sequencer`]: exactly-once, in-order delivery per conversation.
//! - `files`: offers, shares and downloads: which transfer tasks run, and their bookkeeping.
mod files;
pub mod locate;
mod pins;
pub mod sequencer;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lanchat_net::beacon::{Announce, Beacon, BeaconKind};
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{
    ClientFrame, ConvRef, ErrorCode, ErrorInfo, Event as Push, MsgId, PresenceStatus, Reply,
    Request, ServerFrame, UserInfo, MAX_HISTORY_PAGE, PROTOCOL_VERSION,
};

use crate::api::{Command, Event, Target, TransferKey};
pub use files::{Finished, HashJob, Plan, TransferJob};
use locate::Candidate;
pub use pins::{Pinned, Pins};
use sequencer::{Sequencer, Step};

/// How long to collect announcements after the first one before choosing.
pub const COLLECT: Duration = Duration::from_millis(150);
/// How often to probe again while nobody answers.
pub const REPROBE: Duration = Duration::from_secs(1);
/// Handshake plus hello must finish within this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait before reconnecting; doubled after each failed attempt.
pub const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Commands kept while disconnected, beyond unacknowledged messages.
pub const MAX_QUEUED: usize = 1000;

/// What the core is configured with (the parts of [`crate::EngineConfig`] that decide
/// something).
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Skip discovery and use this coordinator.
    pub coordinator: Option<Target>,
    /// Accept a coordinator whose fingerprint differs from the pinned one (and re-pin it).
    pub accept_new_fingerprint: bool,
    /// Shown in the coordinator's logs.
    pub client_name: String,
    /// This client's direct file endpoint, told to the coordinator at every login so senders
    /// can connect directly.
    pub peer_endpoint: Option<DirectEndpoint>,
}

/// Where other clients can send files to this one directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectEndpoint {
    /// Its UDP port (the address is the one the coordinator sees).
    pub port: u16,
    /// The fingerprint of this client's own certificate, which senders pin.
    pub fingerprint: [u8; 32],
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send a probe to the multicast group.
    Probe,
    /// Open a QUIC connection and its chat stream to this coordinator, then call
    /// [`Core::handle_connected`] or [`Core::handle_connect_failed`].
    Connect(Target),
    /// Write this frame on the chat stream.
    Transmit(ClientFrame),
    /// Close the current connection (or give up the attempt under way). Its frames are no
    /// longer wanted.
    Close,
    /// The connection now carries a logged-in session: file streams may use it (until it
    /// closes).
    SessionReady,
    /// Keep these pins (a fingerprint was pinned after a proven handshake).
    SavePins(Pins),
    /// Hash a file to offer or share; then call [`Core::handle_hashed`].
    Hash(HashJob),
    /// Start a transfer task (replacing one with the same key); when it ends, call
    /// [`Core::handle_transfer_finished`].
    Transfer(TransferJob),
    /// Stop the transfer task with this key, if one runs.
    Abort(TransferKey),
    /// Answer the peer stream the driver registered as `ticket`
    /// ([`Core::handle_peer_stream`]): where its file goes, or `None` to refuse it.
    AnswerPeer {
        /// The driver's ticket for the waiting stream.
        ticket: u64,
        /// Where the file goes, if the stream may deliver.
        plan: Option<Plan>,
    },
    /// Create this directory (a download folder); on failure call [`Core::handle_io_error`].
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// The command to name in the error.
        command: &'static str,
    },
    /// Delete this file if it exists (the partial of a cancelled transfer).
    RemoveFile(PathBuf),
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
    /// Catch-up of a conversation.
    After(ConvRef),
    History,
    Search(String),
    Join,
    Logout,
    Offer(PathBuf),
    Accept(u64),
    Share(MsgId),
    /// A request whose reply (Ok, Rooms, Members, Users, Summaries) becomes the event of the
    /// same name; the string names the command in errors.
    Command(&'static str),
    /// Bookkeeping the front end need not hear about (unless it fails).
    Quiet(&'static str),
}

impl Pending {
    /// The command an error answers, as the front end names it.
    fn command(&self) -> String {
        match self {
            Pending::Hello => "hello".into(),
            Pending::Auth { register: true } => "register".into(),
            Pending::Auth { register: false } | Pending::Resume => "login".into(),
            Pending::Send(_) => "send".into(),
            Pending::History | Pending::After(_) => "history".into(),
            Pending::Search(_) => "search".into(),
            Pending::Join => "join".into(),
            Pending::Logout => "logout".into(),
            Pending::Offer(_) => "send".into(),
            Pending::Accept(_) => "accept".into(),
            Pending::Share(_) => "share".into(),
            Pending::Command(c) | Pending::Quiet(c) => (*c).into(),
        }
    }
}

/// Credentials kept in memory to log in again when a session token is refused.
#[derive(Clone)]
struct Credentials {
    username: String,
    password: String,
    register: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("register", &self.register)
            .finish_non_exhaustive()
    }
}

/// Announcements heard while locating.
#[derive(Debug)]
struct Locating {
    heard: HashMap<u64, Candidate>,
    /// When to choose (a moment after the first answer).
    choose_at: Option<Instant>,
    /// When to probe again if nobody answered.
    reprobe_at: Instant,
    warned_version: bool,
}

/// The coordinator being connected to or talked with.
#[derive(Debug)]
struct Link {
    target: Target,
    /// Its announced name ("coordinator" when given explicitly).
    name: String,
    /// Requests sent and not answered yet, by frame id.
    pending: HashMap<u64, Pending>,
    logged_in: bool,
}

#[derive(Debug)]
enum Phase {
    /// Probing the multicast group and collecting answers.
    Locating(Locating),
    /// Nobody acceptable answered: probe again at `until`.
    LocateWait { until: Instant },
    /// The driver is connecting; the attempt is given up at `deadline`.
    Connecting { link: Link, deadline: Instant },
    /// The chat stream is open.
    Connected(Link),
    /// Disconnected: locate again at `until`.
    Backoff { until: Instant },
    /// Done; nothing more happens.
    Stopped,
}

/// The engine's state and decisions. See the module documentation.
#[derive(Debug)]
pub struct Core {
    config: CoreConfig,
    phase: Phase,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
    pins: Pins,
    credentials: Option<Credentials>,
    token: Option<[u8; 32]>,
    logged_in_before: bool,
    backoff: Duration,
    /// Sent but not yet acknowledged, in order; resent after a reconnect.
    unacked: Vec<(ConvRef, MsgId, String)>,
    /// Other commands given while disconnected.
    queued: VecDeque<Command>,
    sequencer: Sequencer,
    presence: HashMap<String, (PresenceStatus, String)>,
    accepted: HashSet<(String, Fingerprint)>,
    warned: HashSet<(String, Fingerprint)>,
    /// Coordinators (by announced id) that said they were shutting down: their last
    /// announcements may still be in flight and must not lure us back.
    retired: HashSet<u64>,
    /// The coordinator of the current connection: announced id and start time.
    current_id: Option<u64>,
    current_started: u64,
    next_id: u64,
    files: files::Files,
}

impl Core {
    /// A core that starts locating the coordinator at once.
    pub fn new(config: CoreConfig, pins: Pins, now: Instant) -> Core {
        let mut core = Core {
            config,
            phase: Phase::Backoff { until: now },
            actions: VecDeque::new(),
            events: VecDeque::new(),
            pins,
            credentials: None,
            token: None,
            logged_in_before: false,
            backoff: MIN_BACKOFF,
            unacked: Vec::new(),
            queued: VecDeque::new(),
            sequencer: Sequencer::default(),
            presence: HashMap::new(),
            accepted: HashSet::new(),
            warned: HashSet::new(),
            retired: HashSet::new(),
            current_id: None,
            current_started: 0,
            next_id: 1,
            files: files::Files::default(),
        };
        core.locate(now);
        core
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the front end.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Core::handle_timeout`] must be called next, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Locating(l) => Some(l.choose_at.map_or(l.reprobe_at, |c| c.min(l.reprobe_at))),
            Phase::LocateWait { until } | Phase::Backoff { until } => Some(*until),
            Phase::Connecting { deadline, .. } => Some(*deadline),
            Phase::Connected(_) | Phase::Stopped => None,
        }
    }

    /// True once the engine has stopped (after logout or shutdown).
    pub fn is_stopped(&self) -> bool {
        matches!(self.phase, Phase::Stopped)
    }

    /// True while a session is logged in.
    pub fn is_logged_in(&self) -> bool {
        matches!(&self.phase, Phase::Connected(link) if link.logged_in)
    }

    /// Time passed: choose a coordinator, probe again, give up a connection attempt, or end
    /// a backoff.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.phase {
            Phase::Locating(l) => {
                if l.choose_at.is_some_and(|t| t <= now) {
                    self.choose(now);
                } else if l.reprobe_at <= now {
                    l.reprobe_at = now + REPROBE;
                    self.actions.push_back(Action::Probe);
                }
            }
            Phase::LocateWait { until } if *until <= now => self.listen(now),
            Phase::Backoff { until } if *until <= now => self.locate(now),
            Phase::Connecting { link, deadline } if *deadline <= now => {
                let reason = format!(
                    "coordinator at {} did not answer within {} s",
                    link.target.addr,
                    CONNECT_TIMEOUT.as_secs()
                );
                self.retry(reason, now);
            }
            _ => {}
        }
        self.after();
    }

    /// A command from the front end.
    pub fn handle_command(&mut self, command: Command, _now: Instant) {
        match &self.phase {
            Phase::Stopped => {}
            Phase::Connected(link) if link.logged_in => self.online_command(command),
            _ => {
                if !self.offline_command(command) {
                    self.stop();
                }
            }
        }
        self.after();
    }

    /// A beacon heard on the multicast group, from `from`.
    pub fn handle_beacon(&mut self, beacon: Beacon, from: SocketAddr, now: Instant) {
        match (&mut self.phase, beacon.kind) {
            (Phase::Locating(l), BeaconKind::Announce(a)) => {
                if a.protocol_version != PROTOCOL_VERSION {
                    if !l.warned_version {
                        l.warned_version = true;
                        let message = format!(
                            "coordinator '{}' speaks lanchat protocol {}, this client speaks \
                             {PROTOCOL_VERSION}; one of them needs updating",
                            a.name, a.protocol_version
                        );
                        self.error(None, message, None);
                    }
                } else if !self.retired.contains(&a.coordinator_id) {
                    l.heard.insert(a.coordinator_id, Candidate::new(a, from));
                    l.choose_at.get_or_insert(now + COLLECT);
                }
            }
            (Phase::Connected(link), BeaconKind::Announce(a))
                if restarted(&a, from, link, self.current_id, self.current_started) =>
            {
                let reason = format!("coordinator '{}' restarted", link.name);
                self.retry(reason, now);
            }
            (
                _,
                BeaconKind::Presence {
                    username,
                    display,
                    status,
                },
            ) => self.note_presence(&username, &display, status),
            _ => {}
        }
        self.after();
    }

    /// The connection the core asked for is open (QUIC handshake done, chat stream open).
    pub fn handle_connected(&mut self, _now: Instant) {
        let phase = std::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = match phase {
            Phase::Connecting { link, .. } => Phase::Connected(link),
            other => other,
        };
        if matches!(self.phase, Phase::Connected(_)) {
            let hello = Request::Hello {
                version: PROTOCOL_VERSION,
                client: self.config.client_name.clone(),
            };
            self.request(hello, Pending::Hello);
        }
        self.after();
    }

    /// The connection the core asked for could not be made.
    pub fn handle_connect_failed(&mut self, reason: String, now: Instant) {
        if matches!(self.phase, Phase::Connecting { .. }) {
            self.retry(reason, now);
        }
        self.after();
    }

    /// The current connection ended (the coordinator closed it, the network went silent, a
    /// write failed).
    pub fn handle_connection_lost(&mut self, reason: String, now: Instant) {
        if matches!(self.phase, Phase::Connected(_) | Phase::Connecting { .. }) {
            self.retry(reason, now);
        }
        self.after();
    }

    /// A frame from the coordinator on the current connection.
    pub fn handle_frame(&mut self, frame: ServerFrame, now: Instant) {
        if matches!(self.phase, Phase::Connected(_)) {
            match frame {
                ServerFrame::Event(push) => self.on_push(push),
                ServerFrame::Reply { id, result } => self.on_reply(id, result, now),
            }
        }
        self.after();
    }

    /// Something the driver could not do (a folder or the pins file it could not write).
    pub fn handle_io_error(&mut self, message: String, command: Option<&str>) {
        self.error(None, message, command);
    }

    // ---- phases ------------------------------------------------------------------------

    /// Starts looking for the coordinator (or connects to the one given).
    fn locate(&mut self, now: Instant) {
        self.current_id = None;
        if let Some(target) = self.config.coordinator.clone() {
            self.connect(target, "coordinator".into(), now);
            return;
        }
        self.emit(Event::Discovering);
        self.listen(now);
    }

    /// Probes and starts collecting announcements.
    fn listen(&mut self, now: Instant) {
        self.phase = Phase::Locating(Locating {
            heard: HashMap::new(),
            choose_at: None,
            reprobe_at: now + REPROBE,
            warned_version: false,
        });
        self.actions.push_back(Action::Probe);
    }

    /// Takes the first acceptable coordinator heard, in the order every client uses.
    ///
    /// One whose fingerprint differs from the pinned one is refused (with a warning naming
    /// both) and the next one is taken: otherwise anyone announcing the coordinator's name
    /// with an earlier start would keep every client that pinned the real one from ever
    /// reaching it.
    fn choose(&mut self, now: Instant) {
        let Phase::Locating(l) = &self.phase else {
            return;
        };
        let ranked = locate::ranked(&l.heard);
        let chosen = ranked
            .into_iter()
            .find_map(|c| self.admit(&c.announce).map(|first_use| (c, first_use)));
        let Some((candidate, first_use)) = chosen else {
            self.phase = Phase::LocateWait {
                until: now + REPROBE,
            };
            return;
        };
        let a = candidate.announce;
        let fp = Fingerprint(a.fingerprint);
        self.emit(Event::CoordinatorFound {
            name: a.name.clone(),
            addr: candidate.addr,
            fingerprint: fp,
            first_use,
        });
        self.current_id = Some(a.coordinator_id);
        self.current_started = a.started_ms;
        let target = Target {
            addr: candidate.addr,
            pin: Pin::exact(fp),
        };
        self.connect(target, a.name, now);
    }

    /// Whether the announced coordinator may be used: `Some(first_use)`, or `None` when its
    /// fingerprint differs from the one pinned for its name (warned about once).
    fn admit(&mut self, a: &Announce) -> Option<bool> {
        let fp = Fingerprint(a.fingerprint);
        match self.pins.check(&a.name, &fp) {
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
                    let message = format!(
                        "refusing coordinator '{}': it presents fingerprint {fp} but {pinned} is \
                         pinned. If it was reinstalled, accept the new fingerprint \
                         (--accept-new-fingerprint); otherwise someone may be impersonating it",
                        a.name
                    );
                    self.error(None, message, None);
                }
                None
            }
        }
    }

    fn connect(&mut self, target: Target, name: String, now: Instant) {
        self.actions.push_back(Action::Connect(target.clone()));
        self.phase = Phase::Connecting {
            link: Link {
                target,
                name,
                pending: HashMap::new(),
                logged_in: false,
            },
            deadline: now + CONNECT_TIMEOUT,
        };
    }

    /// Ends the connection (or the attempt) and waits before locating again.
    fn retry(&mut self, reason: String, now: Instant) {
        self.actions.push_back(Action::Close);
        self.sequencer.connection_lost();
        if self.logged_in_before {
            self.backoff = MIN_BACKOFF;
        }
        self.emit(Event::Disconnected {
            reason,
            retry_in_ms: self.backoff.as_millis() as u64,
        });
        self.phase = Phase::Backoff {
            until: now + self.backoff,
        };
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn stop(&mut self) {
        if matches!(self.phase, Phase::Connected(_) | Phase::Connecting { .. }) {
            self.actions.push_back(Action::Close);
        }
        self.phase = Phase::Stopped;
    }

    /// Runs after every `handle_*`: once greeted and not logged in, log in with what we have.
    fn after(&mut self) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        let busy = link
            .pending
            .values()
            .any(|p| matches!(p, Pending::Hello | Pending::Auth { .. } | Pending::Resume));
        if link.logged_in || busy {
            return;
        }
        if let Some(token) = self.token {
            self.request(Request::Resume { token }, Pending::Resume);
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
                request,
                Pending::Auth {
                    register: c.register,
                },
            );
        }
    }

    // ---- helpers -----------------------------------------------------------------------

    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    fn error(
        &mut self,
        code: Option<ErrorCode>,
        message: impl Into<String>,
        command: Option<&str>,
    ) {
        self.emit(Event::Error {
            code,
            message: message.into(),
            command: command.map(str::to_string),
        });
    }

    /// Sends a request on the current connection and remembers what its reply is for.
    fn request(&mut self, request: Request, pending: Pending) {
        let Phase::Connected(link) = &mut self.phase else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        link.pending.insert(id, pending);
        self.actions
            .push_back(Action::Transmit(ClientFrame { id, request }));
    }

    /// Sends a request now if logged in, otherwise after the next login.
    fn request_or_defer(&mut self, request: Request, pending: Pending) {
        if self.is_logged_in() {
            self.request(request, pending);
        } else {
            self.files.deferred.push((request, pending));
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
        self.emit(Event::Presence(UserInfo {
            username: username.to_string(),
            display: display.to_string(),
            status,
        }));
    }

    // ---- commands ----------------------------------------------------------------------

    /// A command while there is no session. False when told to stop.
    fn offline_command(&mut self, command: Command) -> bool {
        match command {
            Command::Shutdown => false,
            // A login is under way (or will resume): do what was asked before, then log out.
            Command::Logout if self.credentials.is_some() || self.token.is_some() => {
                self.queued.push_back(Command::Logout);
                true
            }
            Command::Logout => {
                if !self.unacked.is_empty() {
                    let message = format!(
                        "{} message(s) were not delivered: not connected to the coordinator",
                        self.unacked.len()
                    );
                    self.error(None, message, Some("logout"));
                }
                self.emit(Event::LoggedOut);
                false
            }
            Command::Login { username, password } => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: false,
                });
                true
            }
            Command::Register { username, password } => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: true,
                });
                true
            }
            Command::AcceptFingerprint { name, fingerprint } => {
                self.accepted.insert((name, fingerprint));
                true
            }
            Command::Send { conv, text, id } => {
                self.unacked.push((conv, id, text));
                true
            }
            other => {
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

    /// A command with a session.
    fn online_command(&mut self, command: Command) {
        let command = match self.file_command(command) {
            Some(command) => command,
            None => return,
        };
        let (request, pending) = match command {
            Command::Shutdown => {
                self.stop();
                return;
            }
            Command::Logout => (Request::Logout, Pending::Logout),
            Command::Login { .. } | Command::Register { .. } => {
                self.error(None, "already logged in", Some("login"));
                return;
            }
            Command::AcceptFingerprint { name, fingerprint } => {
                self.accepted.insert((name, fingerprint));
                return;
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
                    conv,
                    before: before.unwrap_or(u64::MAX),
                    limit,
                },
                Pending::History,
            ),
            Command::MarkRead { conv, seq } => {
                (Request::MarkRead { conv, seq }, Pending::Command("read"))
            }
            Command::CreateRoom(name) => (Request::CreateRoom { name }, Pending::Join),
            Command::JoinRoom(name) => (Request::JoinRoom { name }, Pending::Join),
            Command::LeaveRoom(name) => (Request::LeaveRoom { name }, Pending::Command("leave")),
            Command::ListRooms => (Request::ListRooms, Pending::Command("rooms")),
            Command::Members(name) => (Request::Members { name }, Pending::Command("members")),
            Command::SetTopic { room, topic } => (
                Request::SetTopic { name: room, topic },
                Pending::Command("topic"),
            ),
            Command::Kick { room, user } => {
                (Request::Kick { name: room, user }, Pending::Command("kick"))
            }
            Command::Promote { room, user } => (
                Request::Promote { name: room, user },
                Pending::Command("promote"),
            ),
            Command::Users => (Request::Users, Pending::Command("who")),
            Command::Search(query) => (
                Request::Search {
                    query: query.clone(),
                    limit: 50,
                },
                Pending::Search(query),
            ),
            Command::SetDisplay(display) => {
                (Request::SetDisplay { display }, Pending::Command("nick"))
            }
            Command::ChangePassword { old, new } => (
                Request::ChangePassword { old, new },
                Pending::Command("passwd"),
            ),
            Command::SetAway(away) => (
                Request::SetAway { away },
                Pending::Command(if away { "away" } else { "back" }),
            ),
            Command::SetMuted { conv, muted } => (
                Request::SetMuted { conv, muted },
                Pending::Command(if muted { "mute" } else { "unmute" }),
            ),
            Command::Summaries => (Request::Summaries, Pending::Command("unread")),
            // File commands were taken above.
            Command::SendFile { .. }
            | Command::ShareFile { .. }
            | Command::AcceptOffer { .. }
            | Command::DenyOffer(_)
            | Command::CancelOffer(_)
            | Command::Download { .. } => return,
        };
        self.request(request, pending);
    }

    // ---- frames ------------------------------------------------------------------------

    fn on_reply(&mut self, id: u64, result: Result<Reply, ErrorInfo>, now: Instant) {
        let Phase::Connected(link) = &mut self.phase else {
            return;
        };
        let Some(pending) = link.pending.remove(&id) else {
            if let Err(e) = result {
                // Id 0: the coordinator refused the connection itself (malformed frame).
                self.error(Some(e.code), e.message, None);
            }
            return;
        };
        let (pending, result) = match self.file_reply(pending, result) {
            Some(unhandled) => unhandled,
            None => return,
        };
        match (pending, result) {
            (Pending::Hello, Ok(Reply::Welcome { name, .. })) => self.on_welcome(name),
            (Pending::Hello, Err(e)) => {
                self.error(Some(e.code), e.message.clone(), None);
                self.retry(e.message, now);
            }
            (
                Pending::Auth { .. } | Pending::Resume,
                Ok(Reply::LoggedIn {
                    user,
                    token,
                    conversations,
                }),
            ) => self.on_logged_in(user, token, conversations),
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
                let command = if register { "register" } else { "login" };
                self.error(Some(e.code), e.message, Some(command));
            }
            (Pending::Send(id), result) => {
                self.unacked.retain(|(_, unacked, _)| *unacked != id);
                match result {
                    Ok(Reply::Sent { conv, id, seq, .. }) => {
                        self.emit(Event::Sent { conv, id, seq })
                    }
                    Ok(other) => unexpected("send", &other),
                    Err(e) => self.error(Some(e.code), e.message, Some("send")),
                }
            }
            (Pending::After(conv), Ok(Reply::Messages { messages, .. })) => {
                let full = messages.len() as u32 >= MAX_HISTORY_PAGE;
                let step = self.sequencer.page(&conv, messages, full);
                self.deliver(step, true);
            }
            (Pending::History, Ok(Reply::Messages { conv, messages })) => {
                self.emit(Event::History { conv, messages })
            }
            (Pending::Search(query), Ok(Reply::SearchResults(messages))) => {
                self.emit(Event::SearchResults { query, messages })
            }
            (Pending::Join, Ok(Reply::Summaries(list))) => {
                for s in list {
                    self.learn(&s.conv, s.read_seq, s.last_seq);
                    self.emit(Event::Joined(s));
                }
            }
            (Pending::Logout, result) => {
                if let Err(e) = result {
                    self.error(Some(e.code), e.message, Some("logout"));
                }
                self.token = None;
                self.emit(Event::LoggedOut);
                self.stop();
            }
            (Pending::Command(_), Ok(Reply::Rooms(rooms))) => self.emit(Event::Rooms(rooms)),
            (Pending::Command(_), Ok(Reply::Members { name, members })) => {
                self.emit(Event::Members {
                    room: name,
                    members,
                })
            }
            (Pending::Command(_), Ok(Reply::Users(users))) => {
                for u in &users {
                    self.note_presence(&u.username, &u.display, u.status);
                }
                self.emit(Event::Users(users))
            }
            (Pending::Command(_), Ok(Reply::Summaries(list))) => self.emit(Event::Summaries(list)),
            (Pending::Quiet(_), Ok(_)) => {}
            (Pending::Command(command), Ok(Reply::Ok)) => self.emit(Event::Done {
                command: command.to_string(),
            }),
            (pending, Err(e)) => {
                let command = pending.command();
                self.error(Some(e.code), e.message, Some(&command));
            }
            (pending, Ok(reply)) => unexpected(&format!("{pending:?}"), &reply),
        }
    }

    fn on_welcome(&mut self, server: String) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        let (name, target) = (link.name.clone(), link.target.clone());
        self.pin_after_handshake(&name, &target);
        self.emit(Event::Connected {
            name: server,
            addr: target.addr,
        });
    }

    fn on_logged_in(
        &mut self,
        user: UserInfo,
        token: [u8; 32],
        conversations: Vec<lanchat_net::protocol::ConvSummary>,
    ) {
        if let Phase::Connected(link) = &mut self.phase {
            link.logged_in = true;
        }
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
            self.learn(&s.conv, s.read_seq, s.last_seq);
        }
        // Resend what was never acknowledged (idempotent by id), then the rest.
        for (conv, id, text) in self.unacked.clone() {
            self.request(Request::Send { conv, id, text }, Pending::Send(id));
        }
        self.actions.push_back(Action::SessionReady);
        if let Some(DirectEndpoint { port, fingerprint }) = self.config.peer_endpoint {
            let request = Request::SetPeerEndpoint { port, fingerprint };
            self.request(request, Pending::Quiet("peer endpoint"));
        }
        for (request, pending) in std::mem::take(&mut self.files.deferred) {
            self.request(request, pending);
        }
        while let Some(command) = self.queued.pop_front() {
            self.online_command(command);
            if !self.is_logged_in() {
                break;
            }
        }
    }

    /// Pins the fingerprint of a discovered coordinator once the handshake proved that the
    /// server holds its key.
    fn pin_after_handshake(&mut self, name: &str, target: &Target) {
        // Only discovered coordinators are pinned by name; an explicit one is pinned by flag.
        if self.config.coordinator.is_some() {
            return;
        }
        let Ok(fp_bytes) = <[u8; 32]>::try_from(target.pin.bytes()) else {
            return;
        };
        let fp = Fingerprint(fp_bytes);
        if self.pins.check(name, &fp) != Pinned::Same {
            self.pins.insert(name, &fp);
            self.actions.push_back(Action::SavePins(self.pins.clone()));
        }
    }

    fn on_push(&mut self, push: Push) {
        match push {
            Push::Message(message) => {
                let step = self.sequencer.live(message);
                self.deliver(step, false);
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
            | Push::RelayRequested { .. }) => self.file_push(push),
            Push::Shutdown { reason } => {
                tracing::info!("coordinator shutting down: {reason}");
                self.retired.extend(self.current_id);
            }
        }
    }

    /// Learns a conversation's state and fetches what is missing.
    fn learn(&mut self, conv: &ConvRef, read_seq: u64, last_seq: u64) {
        if let Some((conv, after)) = self.sequencer.learn(conv, read_seq, last_seq) {
            self.fetch(conv, after);
        }
    }

    fn deliver(&mut self, step: Step, backlog: bool) {
        for message in step.deliver {
            self.emit(Event::Message { message, backlog });
        }
        if let Some((conv, after)) = step.fetch {
            self.fetch(conv, after);
        }
    }

    fn fetch(&mut self, conv: ConvRef, after: u64) {
        let request = Request::After {
            conv: conv.clone(),
            after,
            limit: MAX_HISTORY_PAGE,
        };
        self.request(request, Pending::After(conv));
    }
}

/// Whether `a` says our coordinator (`current` id, started at `started`) was replaced by a
/// newer start of itself (same name, new id, later start, same address and same identity):
/// after a crash the old connection would otherwise linger until its idle timeout. Anyone who
/// knows the realm can announce anything, so an announcement with another fingerprint is never
/// a restart of ours (it would be refused on reconnect anyway): dropping a working session for
/// it would let a forger disconnect every client at will. The pin is checked again on
/// reconnect.
fn restarted(
    a: &Announce,
    from: SocketAddr,
    link: &Link,
    current: Option<u64>,
    started: u64,
) -> bool {
    let Some(current) = current else {
        return false;
    };
    a.name == link.name
        && a.coordinator_id != current
        && a.started_ms > started
        && link.target.pin.matches(&Fingerprint(a.fingerprint))
        && Candidate::new(a.clone(), from).addr.ip() == link.target.addr.ip()
}

fn unexpected(what: &str, reply: &Reply) {
    tracing::warn!("unexpected reply to {what}: {reply:?}");
}
