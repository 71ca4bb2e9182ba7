//! The connection gate: what one connection's requests may do, decided without I/O.
//!
//! A connection must say Hello first, then register, log in or resume a session; after that
//! its requests go to the hub, its messages through the group commit. The [`Gate`] holds that
//! per-connection state (greeted? which session? an OPAQUE login half done? must the
//! connection close?) and makes every decision about it — the hello check, OPAQUE registration
//! and login with throttling, a legacy account's upgrade, resuming a session, logout, password
//! change — as plain synchronous calls on the hub and the [`Accounts`], with the time passed
//! in. `server` runs it for each QUIC connection (on the blocking pool: the hub's lock, and a
//! legacy upgrade's Argon2 check, block); a test runs it directly, against a real [`Hub`] in
//! memory, through exactly the routing the server uses.
//!
//! # Driving a hub without a network
//!
//! ```
//! use std::sync::Mutex;
//!
//! use lanchat_coordinator::auth::Accounts;
//! use lanchat_coordinator::gate::{Context, Gate, Route};
//! use lanchat_coordinator::hub::{Hub, OUTBOX_CAPACITY};
//! use lanchat_coordinator::outbox::outbox;
//! use lanchat_net::opaque::Registering;
//! use lanchat_net::protocol::{ConvRef, MsgId, Reply, Request, PROTOCOL_VERSION};
//! use lanchat_store::Store;
//!
//! let hub = Hub::new(Store::open_in_memory().unwrap());
//! let reads = hub.reads();
//! let hub = Mutex::new(hub);
//! let accounts = Accounts::ephemeral();
//! let cx = Context { hub: &hub, reads: &reads, accounts: &accounts, name: "office", rollover: &[] };
//! // What the hub pushes to this connection (events, other sessions' messages) lands in
//! // `frames`, as encoded frames.
//! let (to_client, frames) = outbox(OUTBOX_CAPACITY);
//! let remote = "127.0.0.1:50000".parse().unwrap();
//! let now = 1_700_000_000_000; // the time, in ms since the epoch: the test decides
//!
//! let mut gate = Gate::new();
//! let hello = Request::Hello { version: PROTOCOL_VERSION, client: "harness".into() };
//! let welcome = gate.handle(cx, remote, &to_client, hello, now);
//! assert!(matches!(welcome, Ok(Reply::Welcome { .. })));
//! // Registering with OPAQUE: the password never leaves the client's side.
//! let password = "correct horse battery";
//! let (registering, request) = Registering::start(password).unwrap();
//! let start = Request::RegisterStart { username: "alice".into(), request };
//! let Ok(Reply::RegisterResponse { response }) = gate.handle(cx, remote, &to_client, start, now)
//! else {
//!     unreachable!("a free name gets the coordinator's half of the registration");
//! };
//! let upload = registering.finish(password, &response).unwrap();
//! let finish = Request::RegisterFinish { upload };
//! let login = gate.handle(cx, remote, &to_client, finish, now);
//! assert!(matches!(login, Ok(Reply::LoggedIn { .. })));
//!
//! // A message goes to the group commit, as in the server; a harness commits it alone.
//! let send = Request::Send {
//!     conv: ConvRef::Room("general".into()),
//!     id: MsgId::random(),
//!     text: "hello".into(),
//!     reply_to: None,
//! };
//! let Route::Commit(pending) = gate.route(send) else {
//!     unreachable!("a logged-in session's message goes to the group commit");
//! };
//! let mut replies = hub.lock().unwrap().send_batch(vec![pending], now);
//! assert!(matches!(replies.pop(), Some(Ok(Reply::Sent { .. }))));
//!
//! // Reads are answered from a snapshot of the store, without the hub's lock.
//! let history = Request::Before { conv: ConvRef::Room("general".into()), before: u64::MAX, limit: 10 };
//! let page = gate.handle(cx, remote, &to_client, history, now);
//! assert!(matches!(page, Ok(Reply::Messages { messages, .. }) if messages.len() == 1));
//!
//! // Any other request is handled like Hello was; when the client goes away:
//! gate.disconnected(cx);
//! # drop(frames);
//! ```
//!
//! The account steps (register, login, a legacy upgrade, resume, logout) are in `accounts`,
//! the password change in `password`.
//!
//! Whatever a request decides about the connection itself is read back from the gate:
//! [`Gate::closing`] (close it after this reply, with this code and reason), [`Gate::login`]
//! (who is logged in, for file streams), [`Gate::eviction`] (fires when the hub drops the
//! session because the client stopped reading).
use std::net::SocketAddr;
use std::sync::Mutex;

use lanchat_net::protocol::{ErrorCode, ErrorInfo, Reply, Request, PROTOCOL_VERSION};
use lanchat_store::UserId;
use tokio::sync::oneshot;

use crate::auth::Accounts;
use crate::hub::{err, Hub, Outbox, PendingSend, SessionId};
use crate::lock::lock;
use crate::reads::Reads;

mod accounts;
mod password;
use accounts::{Line, Step};

/// A session token unused for this long must be replaced by a password login.
pub const SESSION_MAX_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;

/// What the gate works on: the coordinator's hub, its read side, its authentication (OPAQUE
/// keys, failed-login counts, the password-hashing pool) and its name (for Welcome). Borrowed, so
/// the server lends its shared state and a test its own.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The coordinator's state.
    pub hub: &'a Mutex<Hub>,
    /// The hub's read side ([`Hub::reads`]): reads never take the hub's lock.
    pub reads: &'a Reads,
    /// OPAQUE keys, failed-login counts, the password-hashing pool.
    pub accounts: &'a Accounts,
    /// The coordinator's name, as Welcome tells it.
    pub name: &'a str,
    /// Its key rollover statements, as Welcome hands them to clients (see [`crate::keys`]).
    pub rollover: &'a [lanchat_net::rollover::Rollover],
}

/// Who is logged in on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Login {
    /// The hub's session.
    pub session: SessionId,
    /// Its user.
    pub user: UserId,
}

/// How a connection is to be closed: the QUIC application close code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    /// [`Close::NORMAL`] or [`Close::PROTOCOL`].
    pub code: u32,
    /// Said to the client with the close.
    pub reason: &'static str,
}

impl Close {
    /// Application close code for a normal end (logout, shutdown).
    pub const NORMAL: u32 = 0;
    /// Application close code for a protocol violation.
    pub const PROTOCOL: u32 = 1;

    /// The client ended the connection, or simply left.
    pub const BYE: Close = Close::normal("bye");
    /// The session was logged out.
    pub const LOGGED_OUT: Close = Close::normal("logged out");
    /// The coordinator is shutting down.
    pub const SHUTDOWN: Close = Close::normal("the coordinator is shutting down");
    /// The first request was not Hello.
    pub const NO_HELLO: Close = Close::protocol("no hello");
    /// The client did not say Hello within the deadline.
    pub const NO_HELLO_IN_TIME: Close = Close::protocol("no hello in time");
    /// The client did not log in within the deadline.
    pub const NO_LOGIN_IN_TIME: Close = Close::protocol("no login in time");
    /// Its address has too many connections open that are not logged in.
    pub const TOO_MANY_WAITING: Close = Close::protocol(
        "too many connections from this address are not logged in; log in on those or close them",
    );
    /// The client did not open its chat stream within the deadline.
    pub const NO_CHAT_STREAM: Close = Close::protocol("no chat stream opened");
    /// The client speaks another protocol version.
    pub const VERSION_MISMATCH: Close = Close::protocol("protocol version mismatch");
    /// A frame could not be decoded.
    pub const MALFORMED: Close = Close::protocol("malformed frame");
    /// The hub dropped the session: its outbox was full.
    pub const NOT_READING: Close = Close::protocol("not reading fast enough");

    const fn normal(reason: &'static str) -> Close {
        Close {
            code: Close::NORMAL,
            reason,
        }
    }

    const fn protocol(reason: &'static str) -> Close {
        Close {
            code: Close::PROTOCOL,
            reason,
        }
    }
}

/// Where a request goes.
#[derive(Debug)]
pub enum Route {
    /// A logged-in session's message: to the group commit, which stores it with other
    /// connections' messages and answers it ([`Hub::send_batch`]).
    Commit(PendingSend),
    /// Anything else: to [`Gate::handle`], after this connection's messages are answered.
    Handle(Request),
}

/// One connection's state, from Hello to logout.
#[derive(Debug, Default)]
pub struct Gate {
    greeted: bool,
    login: Option<Login>,
    /// An account step half done (OPAQUE's first message answered, the second awaited).
    step: Option<Step>,
    /// Fires when the hub drops the session (set while logged in).
    evicted: Option<oneshot::Receiver<()>>,
    closing: Option<Close>,
}

impl Gate {
    /// A connection that has said nothing yet.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Whether the client has said Hello.
    pub fn greeted(&self) -> bool {
        self.greeted
    }

    /// Who is logged in, if anyone.
    pub fn login(&self) -> Option<Login> {
        self.login
    }

    /// Set once the connection must close (after the reply to the request that decided it).
    pub fn closing(&self) -> Option<Close> {
        self.closing
    }

    /// The connection is to close for a reason of its own (a deadline, a broken frame).
    pub fn close(&mut self, close: Close) {
        self.closing = Some(close);
    }

    /// Fires when the hub drops the session (its client stopped reading); see
    /// [`Gate::evicted`].
    pub fn eviction(&mut self) -> Option<&mut oneshot::Receiver<()>> {
        self.evicted.as_mut()
    }

    /// The hub dropped the session: it is gone (nothing to close), and so is the connection.
    pub fn evicted(&mut self) {
        self.login = None;
        self.evicted = None;
        self.closing = Some(Close::NOT_READING);
    }

    /// Where `request` goes: a logged-in session's message to the group commit, anything
    /// else to [`Gate::handle`].
    pub fn route(&self, request: Request) -> Route {
        match (request, self.login) {
            (
                Request::Send {
                    conv,
                    id,
                    text,
                    reply_to,
                },
                Some(login),
            ) => Route::Commit(PendingSend {
                sid: login.session,
                conv,
                id,
                text,
                reply_to,
            }),
            (request, _) => Route::Handle(request),
        }
    }

    /// Answers one request (other than a logged-in session's message, see [`Gate::route`])
    /// from the client at `remote` at time `now_ms`. `outbox` is the connection's: a session
    /// opened here sends its pushed events there.
    ///
    /// Blocks: a legacy account's upgrade waits for its Argon2 check on the password-hashing
    /// pool (without holding the hub's lock); reads (history pages, searches, lists) run on a
    /// snapshot of the store without the hub's lock; everything else takes the hub's lock.
    pub fn handle(
        &mut self,
        cx: Context<'_>,
        remote: SocketAddr,
        outbox: &Outbox,
        request: Request,
        now_ms: i64,
    ) -> Result<Reply, ErrorInfo> {
        if !self.greeted {
            return self.hello(cx, remote, request);
        }
        let at = Line { remote, outbox };
        let ip = remote.ip();
        let result = match (request, self.login) {
            (Request::RegisterStart { username, request }, None) => {
                self.register_start(cx, username, &request)
            }
            (Request::RegisterFinish { upload }, None) => {
                self.register_finish(cx, at, &upload, now_ms)
            }
            (Request::LoginStart { username, request }, None) => {
                self.login_start(cx, ip, username, &request, now_ms)
            }
            (Request::LoginFinish { finalization }, None) => {
                self.login_finish(cx, at, &finalization, now_ms)
            }
            (Request::LegacyLogin { password, request }, None) => {
                self.legacy_login(cx, ip, password, &request, now_ms)
            }
            (Request::Resume { token }, None) => self.resume(cx, at, token, now_ms),
            (_, None) => Err(err(ErrorCode::NotAuthenticated, "log in or register first")),
            (Request::Logout, Some(login)) => self.log_out(cx, login),
            (
                Request::PasswordStart {
                    login,
                    registration,
                },
                Some(me),
            ) => self.password_start(cx, ip, me.session, &login, &registration, now_ms),
            (
                Request::PasswordFinish {
                    finalization,
                    upload,
                },
                Some(me),
            ) => self.password_finish(cx, ip, me.session, &finalization, &upload, now_ms),
            (Request::Ping, Some(_)) => Ok(Reply::Ok),
            (request, Some(login)) if Reads::is_read(&request) => {
                cx.reads.answer(login.user, request)
            }
            (request, Some(login)) => lock(cx.hub).handle(login.session, request, now_ms),
        };
        result.map_err(ErrorInfo::from)
    }

    /// The connection is gone: its session (if any) ends.
    pub fn disconnected(&mut self, cx: Context<'_>) {
        self.evicted = None;
        if let Some(login) = self.login.take() {
            lock(cx.hub).close_session(login.session);
        }
    }

    fn hello(
        &mut self,
        cx: Context<'_>,
        remote: SocketAddr,
        request: Request,
    ) -> Result<Reply, ErrorInfo> {
        let Request::Hello { version, client } = request else {
            self.closing = Some(Close::NO_HELLO);
            return Err(ErrorInfo::new(
                ErrorCode::BadRequest,
                "the first request must be Hello",
            ));
        };
        if version != PROTOCOL_VERSION {
            self.closing = Some(Close::VERSION_MISMATCH);
            return Err(ErrorInfo::new(
                ErrorCode::VersionMismatch,
                format!(
                    "this coordinator speaks lanchat protocol {PROTOCOL_VERSION}, the client \
                     speaks {version}; update the older one"
                ),
            ));
        }
        tracing::info!(%remote, client, "client said hello");
        self.greeted = true;
        Ok(Reply::Welcome {
            version: PROTOCOL_VERSION,
            name: cx.name.to_string(),
            rollover: cx.rollover.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests;
