//! The core's behaviour, step by step, with no sockets and no sleeps: time is a number the
//! tests advance, the coordinator's frames are written by hand (or come from a real hub, see
//! `hub`), and every action and event is checked.
//!
//! Layout: `locate` (choosing and pinning a coordinator), `session` (login, sending,
//! reconnecting), `presence` (only the coordinator says who is online), `remember` (the
//! kept session), `files` (offers and shares), `pages` (lists read a page at a time),
//! `conversations` (posts paced and in order, edits, deletions and reactions reaching offline
//! and reconnecting clients, typing), `hub` (the core against a real coordinator hub in
//! memory).
mod conversations;
mod files;
mod hub;
mod locate;
mod pages;
mod presence;
mod remember;
mod session;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lanchat_net::beacon::{Announce, Beacon, BeaconKind};
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{
    ChatMessage, ClientFrame, ConvRef, ConvSummary, ErrorCode, ErrorInfo, MsgId, PresenceStatus,
    Reply, Request, Role, ServerFrame, UserInfo, PROTOCOL_VERSION,
};

use lanchat_coordinator::auth::keys::record_of;
use lanchat_coordinator::auth::OpaqueKeys;
use lanchat_net::opaque::Registering;

use super::{Action, Core, CoreConfig, Pins};
use crate::api::{Event, Target};
use lanchat_net::rollover::Rollover;

/// Where announcements come from in these tests.
const GROUP_PEER: &str = "192.0.2.10:5007";

fn fp(seed: &str) -> Fingerprint {
    Fingerprint::of_cert(seed.as_bytes())
}

fn announce(id: u64, name: &str, started_ms: u64, fingerprint: Fingerprint) -> Beacon {
    announce_version(id, name, started_ms, fingerprint, PROTOCOL_VERSION)
}

fn announce_version(
    id: u64,
    name: &str,
    started_ms: u64,
    fingerprint: Fingerprint,
    protocol_version: u16,
) -> Beacon {
    Beacon {
        sender_id: id,
        counter: 1,
        sent_ms: 0,
        kind: BeaconKind::Announce(Announce {
            coordinator_id: id,
            name: name.into(),
            quic_port: 7000 + (id % 1000) as u16,
            quic_ip: None,
            fingerprint: fingerprint.0,
            started_ms,
            protocol_version,
        }),
    }
}

fn room(name: &str) -> ConvRef {
    ConvRef::Room(name.into())
}

fn message(conv: ConvRef, seq: u64) -> ChatMessage {
    ChatMessage {
        id: MsgId([seq as u8; 16]),
        sender_display: "Bob".into(),
        ..ChatMessage::plain(conv, seq, "bob", &format!("m{seq}"))
    }
}

fn summary(conv: ConvRef, read_seq: u64, last_seq: u64) -> ConvSummary {
    ConvSummary {
        conv,
        topic: String::new(),
        last_seq,
        read_seq,
        muted: false,
        role: Role::Member,
        unread: last_seq.saturating_sub(read_seq),
        mentions: 0,
        private: false,
        archived: false,
        peer_read: None,
    }
}

/// The password the tests log in with.
const PASSWORD: &str = "correct horse battery";

/// A core and its clock, and the coordinator's OPAQUE keys for the frames written by hand.
struct Harness {
    core: Core,
    now: Instant,
    keys: OpaqueKeys,
    /// Actions other than frames that [`Harness::sent`] passed over, for [`Harness::actions`].
    kept: Vec<Action>,
    /// The addresses of the last `Connect` the core asked for.
    dialing: Vec<Target>,
}

impl Harness {
    /// A core that finds its coordinator by multicast, with these pins.
    fn discovering(pins: Pins) -> Harness {
        Harness::with(config(None), pins)
    }

    /// A core given the coordinator's address and fingerprint.
    fn explicit() -> Harness {
        Harness::with(config(Some(explicit_target())), Pins::default())
    }

    fn with(config: CoreConfig, pins: Pins) -> Harness {
        let now = Instant::now();
        let mut h = Harness {
            core: Core::new(config, pins, now),
            now,
            keys: OpaqueKeys::generate(),
            kept: Vec::new(),
            dialing: Vec::new(),
        };
        let first = h.actions();
        h.kept = first;
        h
    }

    /// Lets time pass and tells the core.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.core.handle_timeout(self.now);
    }

    /// Lets time pass up to the core's next deadline.
    fn wait_for_deadline(&mut self) {
        let at = self
            .core
            .poll_timeout()
            .expect("the core waits for something");
        self.now = self.now.max(at);
        self.core.handle_timeout(self.now);
    }

    /// Every action asked for since the last look (frames included).
    fn actions(&mut self) -> Vec<Action> {
        let mut all = std::mem::take(&mut self.kept);
        all.extend(std::iter::from_fn(|| self.core.poll_action()));
        self.note_dialing(&all);
        all
    }

    fn note_dialing(&mut self, actions: &[Action]) {
        for a in actions {
            if let Action::Connect(targets) = a {
                self.dialing = targets.clone();
            }
        }
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.core.poll_event()).collect()
    }

    /// The frames the core asked to send (other actions are kept for [`Harness::actions`]).
    fn sent(&mut self) -> Vec<ClientFrame> {
        let mut frames = Vec::new();
        let actions: Vec<Action> = std::iter::from_fn(|| self.core.poll_action()).collect();
        self.note_dialing(&actions);
        for action in actions {
            match action {
                Action::Transmit(frame) => frames.push(frame),
                other => self.kept.push(other),
            }
        }
        frames
    }

    fn command(&mut self, command: crate::api::Command) {
        self.core.handle_command(command, self.now);
    }

    fn beacon(&mut self, beacon: Beacon) {
        let from: SocketAddr = GROUP_PEER.parse().unwrap();
        self.core.handle_beacon(beacon, from, self.now);
    }

    fn reply(&mut self, id: u64, result: Result<Reply, ErrorInfo>) {
        self.core
            .handle_frame(ServerFrame::Reply { id, result }, self.now);
    }

    fn push(&mut self, event: lanchat_net::protocol::Event) {
        self.core.handle_frame(ServerFrame::Event(event), self.now);
    }

    /// Connects to the first address dialled (the driver would), answers Hello, and returns
    /// the frames sent after it.
    fn open(&mut self) -> Vec<ClientFrame> {
        self.open_with(0, Vec::new())
    }

    /// Connects to the `index`th address dialled, answers Hello with these rollover
    /// statements, and returns the frames sent after it.
    fn open_with(&mut self, index: usize, rollover: Vec<Rollover>) -> Vec<ClientFrame> {
        self.actions();
        let target = self.dialing.get(index).cloned().expect("the core dialled");
        let fingerprint = Fingerprint(target.pin.bytes().try_into().expect("an exact pin"));
        self.core
            .handle_connected(target.addr, fingerprint, self.now);
        let hello = self.sent();
        assert!(
            matches!(
                hello.as_slice(),
                [ClientFrame {
                    request: Request::Hello { .. },
                    ..
                }]
            ),
            "{hello:?}"
        );
        self.reply(
            hello[0].id,
            Ok(Reply::Welcome {
                version: PROTOCOL_VERSION,
                name: "office".into(),
                rollover,
            }),
        );
        self.sent()
    }

    /// Answers an OPAQUE first message as a coordinator holding the account (registered with
    /// [`PASSWORD`]) would, and returns the client's second message; any other frame is
    /// returned as it is.
    fn through_opaque(&mut self, frame: &ClientFrame) -> ClientFrame {
        let reply = match &frame.request {
            Request::LoginStart { username, request } => {
                let record = self.record(username);
                let (_, response) = self
                    .keys
                    .login_start(username, Some(&record), request)
                    .unwrap();
                Reply::LoginResponse { response }
            }
            Request::RegisterStart { username, request } => Reply::RegisterResponse {
                response: self.keys.registration_response(username, request).unwrap(),
            },
            _ => return frame.clone(),
        };
        self.reply(frame.id, Ok(reply));
        let next = self.sent();
        assert!(
            matches!(
                next.as_slice(),
                [ClientFrame {
                    request: Request::LoginFinish { .. } | Request::RegisterFinish { .. },
                    ..
                }]
            ),
            "{next:?}"
        );
        next[0].clone()
    }

    /// The OPAQUE record of `username` with [`PASSWORD`], under this harness's keys.
    fn record(&self, username: &str) -> Vec<u8> {
        let (state, request) = Registering::start(PASSWORD).unwrap();
        let response = self.keys.registration_response(username, &request).unwrap();
        record_of(&state.finish(PASSWORD, &response).unwrap()).unwrap()
    }

    /// Answers a login (through OPAQUE) or resume frame with a session holding
    /// `conversations`.
    fn logged_in(&mut self, frame: &ClientFrame, token: [u8; 32], conversations: Vec<ConvSummary>) {
        let frame = self.through_opaque(frame);
        self.reply(
            frame.id,
            Ok(Reply::LoggedIn {
                user: UserInfo {
                    username: "alice".into(),
                    display: "alice".into(),
                    status: PresenceStatus::Online,
                },
                settings: lanchat_net::protocol::Settings::default(),
                token,
                conversations,
            }),
        );
    }
}

/// A core logged in as alice at an explicit coordinator, and the frames it sent right after
/// the login (what it asks for by itself); its other actions and events are drained.
fn alice_logged_in() -> (Harness, Vec<ClientFrame>) {
    let mut h = Harness::explicit();
    h.command(crate::api::Command::Login {
        username: "alice".into(),
        password: "correct horse battery".into(),
    });
    let frames = h.open();
    h.logged_in(&frames[0], [1; 32], vec![]);
    let after = h.sent();
    h.actions();
    h.events();
    (h, after)
}

fn config(coordinator: Option<Target>) -> CoreConfig {
    CoreConfig {
        coordinator,
        accept_new_fingerprint: false,
        trust_first_contact: false,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: "test".into(),
        peer_endpoint: None,
        remember_session: false,
    }
}

/// Pins holding `fingerprint` under `name`, last seen at `addr`.
fn pinned(name: &str, fingerprint: Fingerprint, addr: Option<&str>) -> Pins {
    let mut pins = Pins::default();
    pins.pin(fingerprint, name, addr.map(|a| a.parse().unwrap()));
    pins
}

/// Where announcement `id` says its coordinator is (see [`announce`]).
fn announced_at(id: u64) -> SocketAddr {
    SocketAddr::new(
        GROUP_PEER.parse::<SocketAddr>().unwrap().ip(),
        7000 + (id % 1000) as u16,
    )
}

fn explicit_target() -> Target {
    Target {
        addr: "127.0.0.1:7117".parse().unwrap(),
        pin: Pin::exact(fp("coordinator")),
    }
}

fn error(code: ErrorCode, message: &str) -> ErrorInfo {
    ErrorInfo::new(code, message)
}
