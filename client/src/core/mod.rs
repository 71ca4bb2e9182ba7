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
//! - this file: the API (`handle_*`, `poll_*`), the phases and the request table.
//! - [`locate`]: choosing the coordinator: pinned first, announcements as hints.
//! - `pins`: pinned coordinators (fingerprint, name, last address that worked).
//! - `session`: commands, replies and pushed events.
//! - `auth`: logging in, registering and changing the password with OPAQUE; a legacy
//!   account's upgrade, and when it is refused.
//! - [`opaque_logins`]: which (coordinator, user) pairs have logged in with OPAQUE.
//! - `remember`: "keep me signed in": the session kept across runs ([`SavedSession`]).
//! - [`sequencer`]: exactly-once, in-order delivery per conversation.
//! - [`posts`]: what this user posts (messages, replies, edits, deletions, reactions), queued
//!   in order and sent a window at a time.
//! - `files`: offers, shares and downloads: which transfer tasks run, and their bookkeeping.
//! - `pages`: lists read a page at a time (rooms, users, members, search, pending offers)
//!   and told to the front end whole.
mod auth;
mod files;
pub mod locate;
pub mod opaque_logins;
mod pages;
mod pins;
pub mod posts;
mod remember;
pub mod sequencer;
mod session;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lanchat_net::beacon::{Announce, Beacon, BeaconKind};
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{
    ClientFrame, ConvRef, ErrorCode, MsgId, PresenceStatus, Request, ServerFrame, Settings,
    UserInfo,
};

use crate::api::{Command, Event, Target, TransferKey};
pub use files::{Finished, HashJob, OfferPlan, Plan, ScanJob, Scanned, TransferJob};
use locate::{Attempt, Candidate, Locating};
pub use locate::{COLLECT, COLLECT_PINNED};
pub use opaque_logins::OpaqueLogins;
pub use pages::MAX_GATHERED;
pub use pins::{PinEntry, Pinned, Pins};
pub use remember::SavedSession;
use sequencer::Sequencer;

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
/// How long a coordinator said to have restarted has to answer a ping on the old connection.
pub const PING_TIMEOUT: Duration = Duration::from_millis(1500);

/// What the core is configured with (the parts of [`crate::EngineConfig`] that decide
/// something).
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Skip discovery and use this coordinator.
    pub coordinator: Option<Target>,
    /// Use any coordinator that answers, pinned or not (and pin it): an explicit choice to
    /// trust the network, for a changed key without a rollover statement.
    pub accept_new_fingerprint: bool,
    /// When nothing is pinned yet, use the first coordinator found without asking (and pin
    /// it), like SSH's `accept-new`.
    pub trust_first_contact: bool,
    /// Coordinators the user vouched for (fingerprints from a flag or an invite).
    pub trusted: Vec<Pin>,
    /// Where such a coordinator may be (from an invite), tried before any announcement.
    pub hints: Vec<Target>,
    /// Shown in the coordinator's logs.
    pub client_name: String,
    /// This client's direct file endpoint, told to the coordinator at every login so senders
    /// can connect directly.
    pub peer_endpoint: Option<DirectEndpoint>,
    /// Keep the session across runs ("keep me signed in"): after each login the core asks
    /// for it to be saved ([`Action::SaveSession`]).
    pub remember_session: bool,
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
    /// Open a QUIC connection and its chat stream to one of these addresses (each with the
    /// certificate it must present): start with the first, start the next every
    /// [`locate::STAGGER`] while none has answered, keep the first that opens and drop the
    /// others; then call [`Core::handle_connected`], or [`Core::handle_connect_failed`] once
    /// all failed.
    Connect(Vec<Target>),
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
    /// Keep these OPAQUE logins (a user logged in to a coordinator with OPAQUE).
    SaveOpaqueLogins(OpaqueLogins),
    /// Keep this session for the next run ("keep me signed in"; the file is the user's only).
    SaveSession(SavedSession),
    /// Delete the kept session, if there is one (signed out, or its token was refused).
    ForgetSession,
    /// Hash a file to share; then call [`Core::handle_hashed`].
    Hash(HashJob),
    /// List the files to offer (a folder's tree; sizes only, nothing is read); then call
    /// [`Core::handle_scanned`].
    Scan(ScanJob),
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
        /// Where the offer's files go, if the stream may deliver.
        plan: Option<OfferPlan>,
    },
    /// Create this directory (a download folder); on failure call [`Core::handle_io_error`].
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// The command to name in the error.
        command: &'static str,
    },
    /// Delete this folder and what it holds, if it exists (the staging folder of a cancelled
    /// offer).
    RemoveDir(PathBuf),
}

/// What a request's reply is for.
#[derive(Debug)]
enum Pending {
    Hello,
    Ping,
    /// OPAQUE: a registration's first message (its client state kept for the answer).
    RegisterStart(Box<lanchat_net::opaque::Registering>),
    /// OPAQUE: a login's first message.
    LoginStart(Box<lanchat_net::opaque::LoggingIn>),
    /// A legacy account's password, sent once with the registration that replaces its hash.
    Upgrade(Box<lanchat_net::opaque::Registering>),
    /// The last message of a registration, login or upgrade: `LoggedIn` answers it.
    Auth {
        register: bool,
    },
    /// A password change's first message.
    PasswordStart(Box<auth::PasswordChange>),
    /// A password change's last message.
    PasswordFinish(auth::NewPassword),
    Resume,
    /// A post (see [`posts`]); the string names the command in errors.
    Post(MsgId, &'static str),
    /// Catch-up of a conversation.
    After(ConvRef),
    History,
    /// A page of a list; the next is asked for until the list ends.
    List(pages::Gathering),
    /// A page of the file offers that waited for this user's login.
    WaitingOffers,
    Join,
    Logout,
    Offer(Vec<PathBuf>),
    Accept(u64),
    Share(MsgId),
    /// A request whose reply (Ok, Summaries) becomes the event of the same name; the string
    /// names the command in errors.
    Command(&'static str),
    /// Bookkeeping the front end need not hear about (unless it fails).
    Quiet(&'static str),
}

impl Pending {
    /// The command an error answers, as the front end names it.
    fn command(&self) -> String {
        match self {
            Pending::Hello => "hello".into(),
            Pending::Ping => "ping".into(),
            Pending::Auth { register: true } | Pending::RegisterStart(_) => "register".into(),
            Pending::Auth { register: false }
            | Pending::LoginStart(_)
            | Pending::Upgrade(_)
            | Pending::Resume => "login".into(),
            Pending::PasswordStart(_) | Pending::PasswordFinish(_) => "passwd".into(),
            Pending::Post(_, command) => (*command).into(),
            Pending::History | Pending::After(_) => "history".into(),
            Pending::List(list) => list.command().into(),
            Pending::WaitingOffers => "offers".into(),
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

/// A session token, and the coordinator that issued it (the only one it is presented to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    issuer: Fingerprint,
    token: [u8; 32],
}

/// The coordinator of the current connection.
#[derive(Debug)]
struct Link {
    addr: SocketAddr,
    /// The certificate it presented.
    fingerprint: Fingerprint,
    /// The name it was chosen under ("coordinator" when given explicitly).
    name: String,
    /// Connected only to read its rollover statements: nothing else is sent.
    verify_only: bool,
    /// Requests sent and not answered yet, by frame id.
    pending: HashMap<u64, Pending>,
    logged_in: bool,
    /// Set while a ping must be answered (see `check_alive`).
    ping_deadline: Option<Instant>,
}

#[derive(Debug)]
enum Phase {
    /// Probing the multicast group and collecting answers.
    Locating(Locating),
    /// Nobody acceptable answered: probe again at `until`.
    LocateWait { until: Instant },
    /// The driver is connecting; the attempt is given up at `deadline`.
    Connecting {
        attempts: Vec<Attempt>,
        verify_only: bool,
        deadline: Instant,
    },
    /// The chat stream is open.
    Connected(Link),
    /// Greeted by this coordinator with nothing to log in with yet (the front end has not
    /// given credentials): the connection was closed rather than held open, so it takes no
    /// not-logged-in slot at the coordinator and meets no login deadline; a login reconnects.
    Parked(Attempt),
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
    /// Fingerprints the front end approved during this run.
    trusted: HashSet<Fingerprint>,
    /// Fingerprints the front end was told about (unknown or changed), so it hears once.
    notified: HashSet<Fingerprint>,
    /// Unpinned keys under a pinned name whose rollover statements were asked for.
    rollover_checked: HashSet<Fingerprint>,
    /// Unpinned keys whose rollover statements did not check out.
    refused: HashSet<Fingerprint>,
    credentials: Option<Credentials>,
    token: Option<Token>,
    /// Which coordinators have seen which users log in with OPAQUE (no legacy answer there).
    opaque_logins: OpaqueLogins,
    /// What was pinned when the core started: the only coordinators a legacy account's
    /// upgrade (which shows the password once) is done with.
    pinned_at_start: HashSet<Fingerprint>,
    /// The session kept on disk (as last saved or restored).
    saved: Option<SavedSession>,
    /// The user of the current or last session.
    logged_in_user: Option<String>,
    logged_in_before: bool,
    backoff: Duration,
    /// Posts not yet acknowledged, in order; sent a window at a time, resent after a
    /// reconnect.
    posts: posts::Posts,
    /// This user's settings (typing indicators, read receipts), as the coordinator keeps them.
    settings: Settings,
    /// When a typing notice was last sent, per conversation.
    typing_sent: HashMap<ConvRef, Instant>,
    /// Other commands given while disconnected.
    queued: VecDeque<Command>,
    sequencer: Sequencer,
    /// What the coordinator last said of each user (one entry per account it told us of).
    presence: HashMap<String, (PresenceStatus, String)>,
    /// Coordinators (by announced id) that said they were shutting down: their last
    /// announcements may still be in flight and must not lure us back.
    retired: HashSet<u64>,
    /// The announcement of the current connection's coordinator: its id and start time.
    current: Option<(u64, u64)>,
    next_id: u64,
    files: files::Files,
}

impl Core {
    /// A core that starts locating the coordinator at once.
    pub fn new(config: CoreConfig, pins: Pins, now: Instant) -> Core {
        let pinned_at_start = pins.entries().iter().map(|e| e.fingerprint).collect();
        let mut core = Core {
            config,
            phase: Phase::Backoff { until: now },
            actions: VecDeque::new(),
            events: VecDeque::new(),
            pins,
            trusted: HashSet::new(),
            notified: HashSet::new(),
            rollover_checked: HashSet::new(),
            refused: HashSet::new(),
            credentials: None,
            token: None,
            opaque_logins: OpaqueLogins::default(),
            pinned_at_start,
            saved: None,
            logged_in_user: None,
            logged_in_before: false,
            backoff: MIN_BACKOFF,
            posts: posts::Posts::default(),
            settings: Settings::default(),
            typing_sent: HashMap::new(),
            queued: VecDeque::new(),
            sequencer: Sequencer::default(),
            presence: HashMap::new(),
            retired: HashSet::new(),
            current: None,
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
            Phase::Connected(link) => link.ping_deadline,
            Phase::Parked(_) | Phase::Stopped => None,
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

    /// The pinned coordinators as they stand.
    pub fn pins(&self) -> &Pins {
        &self.pins
    }

    /// What the last run kept of OPAQUE logins (see [`OpaqueLogins`]); set before the first
    /// `handle_*` call.
    pub fn set_opaque_logins(&mut self, logins: OpaqueLogins) {
        self.opaque_logins = logins;
    }

    /// The OPAQUE logins as they stand.
    pub fn opaque_logins(&self) -> &OpaqueLogins {
        &self.opaque_logins
    }

    /// Time passed: choose a coordinator, probe again, give up a connection attempt, end a
    /// backoff, or give up on a coordinator that did not answer a ping.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.phase {
            Phase::Locating(l) => {
                if l.choose_at.is_some_and(|t| t <= now) {
                    self.choose(now);
                } else if l.reprobe_at <= now {
                    self.nobody_answered(now);
                }
            }
            Phase::LocateWait { until } if *until <= now => self.listen(now),
            Phase::Backoff { until } if *until <= now => self.locate(now),
            Phase::Connecting {
                attempts, deadline, ..
            } if *deadline <= now => {
                let addrs: Vec<String> =
                    attempts.iter().map(|a| a.target.addr.to_string()).collect();
                let reason = format!(
                    "coordinator at {} did not answer within {} s",
                    addrs.join(", "),
                    CONNECT_TIMEOUT.as_secs()
                );
                self.retry(reason, now);
            }
            Phase::Connected(link) if link.ping_deadline.is_some_and(|t| t <= now) => {
                let reason = format!("coordinator '{}' restarted", link.name);
                self.retry(reason, now);
            }
            _ => {}
        }
        self.after();
    }

    /// A command from the front end.
    pub fn handle_command(&mut self, command: Command, now: Instant) {
        match (&self.phase, command) {
            (Phase::Stopped, _) => {}
            (_, Command::RememberSession(on)) => self.set_remember(on),
            // Signing out forgets the kept session at once, even before the coordinator
            // hears of it (it may be unreachable).
            (_, Command::Logout) if self.saved.is_some() => {
                self.forget_session();
                self.handle_command(Command::Logout, now);
                return;
            }
            (_, Command::AcceptFingerprint { fingerprint, .. }) => {
                self.trusted.insert(fingerprint);
                self.refused.remove(&fingerprint);
                if matches!(self.phase, Phase::LocateWait { .. }) {
                    self.listen(now);
                }
            }
            (Phase::Connected(link), command) if link.logged_in => {
                self.online_command(command, now)
            }
            (_, command) => {
                if !self.offline_command(command) {
                    self.stop();
                }
            }
        }
        self.unpark(now);
        self.after();
    }

    /// A beacon heard on the multicast group, from `from`.
    pub fn handle_beacon(&mut self, beacon: Beacon, from: SocketAddr, now: Instant) {
        match (&self.phase, beacon.kind) {
            (Phase::Locating(_), BeaconKind::Announce(a)) => self.on_announce(a, from, now),
            (Phase::Connected(link), BeaconKind::Announce(a))
                if restarted(&a, from, link, self.current) =>
            {
                self.check_alive(now)
            }
            // Anyone with the realm passphrase can send one, account or not (a "CEO" who does
            // not exist, or a colleague "online" who is not): presence shown to the user comes
            // only from the coordinator over QUIC. Coordinators no longer send these.
            (_, BeaconKind::Presence { username, .. }) => {
                tracing::debug!(%from, %username, "presence beacon ignored");
            }
            _ => {}
        }
        self.after();
    }

    /// The connection to `addr` opened (QUIC handshake done, chat stream open); its
    /// certificate has the fingerprint `fingerprint`.
    pub fn handle_connected(&mut self, addr: SocketAddr, fingerprint: Fingerprint, _now: Instant) {
        let phase = std::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = match phase {
            Phase::Connecting {
                attempts,
                verify_only,
                ..
            } => Phase::Connected(self.connected(addr, fingerprint, attempts, verify_only)),
            other => other,
        };
        if matches!(self.phase, Phase::Connected(_)) {
            let hello = Request::Hello {
                version: lanchat_net::protocol::PROTOCOL_VERSION,
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

    /// Ends the connection (or the attempt) and waits before locating again.
    fn retry(&mut self, reason: String, now: Instant) {
        self.actions.push_back(Action::Close);
        self.sequencer.connection_lost();
        self.posts.unsend();
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

    /// Emits a presence change the coordinator reported, once: a change already known (from a
    /// user list, or a second session's login) is not news.
    fn note_presence(&mut self, user: UserInfo) {
        if self.remember_presence(&user) {
            self.emit(Event::Presence(user));
        }
    }

    /// Records what the coordinator says of a user; true if that is a change.
    fn remember_presence(&mut self, user: &UserInfo) -> bool {
        let now = (user.status, user.display.clone());
        let before = self
            .presence
            .insert(user.username.to_lowercase(), now.clone());
        before != Some(now)
    }
}

/// Whether `a` says our coordinator (announced as `current`: id and start time) was replaced
/// by a newer start of itself: same name, new id, later start, same address and same key.
/// After a crash the old connection would otherwise linger until its idle timeout. It is only a
/// hint (anyone can announce anything): the caller asks the connection before dropping it.
fn restarted(a: &Announce, from: SocketAddr, link: &Link, current: Option<(u64, u64)>) -> bool {
    let Some((id, started)) = current else {
        return false;
    };
    a.name == link.name
        && a.coordinator_id != id
        && a.started_ms > started
        && Fingerprint(a.fingerprint) == link.fingerprint
        && Candidate::new(a.clone(), from).addr.ip() == link.addr.ip()
}
