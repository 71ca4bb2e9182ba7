//! The gate's decisions, against a real hub in memory (no sockets).
use std::sync::Mutex;

use lanchat_net::protocol::{ConvRef, MsgId};
use lanchat_store::Store;
use tokio::sync::oneshot::error::TryRecvError;

use super::*;
use crate::hub::OUTBOX_CAPACITY;
use crate::outbox::{outbox, OutboxReader};

const NOW: i64 = 1_700_000_000_000;
const PASSWORD: &str = "correct horse battery";

/// A coordinator's state without the coordinator.
struct Office {
    hub: Mutex<Hub>,
    reads: std::sync::Arc<Reads>,
    throttle: Mutex<LoginThrottle>,
}

impl Office {
    fn new() -> Office {
        let hub = Hub::new(Store::open_in_memory().unwrap());
        Office {
            reads: hub.reads(),
            hub: Mutex::new(hub),
            throttle: Mutex::default(),
        }
    }

    fn cx(&self) -> Context<'_> {
        Context {
            hub: &self.hub,
            reads: &self.reads,
            throttle: &self.throttle,
            name: "test office",
            rollover: &[],
        }
    }

    fn sessions(&self) -> usize {
        lock(&self.hub).session_count()
    }
}

/// One client connection: its gate and its outbox.
struct Conn {
    gate: Gate,
    outbox: Outbox,
    _frames: OutboxReader,
}

impl Conn {
    fn new() -> Conn {
        let (outbox, frames) = outbox(OUTBOX_CAPACITY);
        Conn {
            gate: Gate::new(),
            outbox,
            _frames: frames,
        }
    }

    fn ask(&mut self, office: &Office, request: Request) -> Result<Reply, ErrorInfo> {
        let remote = "127.0.0.1:50000".parse().unwrap();
        self.gate
            .handle(office.cx(), remote, &self.outbox, request, NOW)
    }

    fn hello(&mut self, office: &Office) {
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "test".into(),
        };
        assert!(matches!(
            self.ask(office, hello),
            Ok(Reply::Welcome { name, .. }) if name == "test office"
        ));
        assert!(self.gate.greeted());
    }
}

fn register(username: &str) -> Request {
    Request::Register {
        username: username.into(),
        password: PASSWORD.into(),
    }
}

fn login(username: &str, password: &str) -> Request {
    Request::Login {
        username: username.into(),
        password: password.into(),
    }
}

fn send() -> Request {
    Request::Send {
        conv: ConvRef::Room("general".into()),
        id: MsgId::random(),
        text: "hello".into(),
    }
}

fn refused(result: Result<Reply, ErrorInfo>, code: ErrorCode) -> ErrorInfo {
    let e = result.expect_err("expected a refusal");
    assert_eq!(e.code, code, "{e:?}");
    e
}

#[test]
fn the_first_request_must_be_a_hello_in_the_same_protocol() {
    let office = Office::new();
    let mut c = Conn::new();
    let e = refused(
        c.ask(&office, login("alice", PASSWORD)),
        ErrorCode::BadRequest,
    );
    assert!(e.message.contains("Hello"), "{}", e.message);
    assert_eq!(c.gate.closing(), Some(Close::NO_HELLO));
    assert!(!c.gate.greeted());

    let mut c = Conn::new();
    let old = Request::Hello {
        version: PROTOCOL_VERSION + 1,
        client: "future".into(),
    };
    refused(c.ask(&office, old), ErrorCode::VersionMismatch);
    assert_eq!(c.gate.closing(), Some(Close::VERSION_MISMATCH));
}

#[test]
fn nothing_but_accounts_before_a_login_and_no_message_reaches_the_commit() {
    let office = Office::new();
    let mut c = Conn::new();
    c.hello(&office);
    let Route::Handle(request) = c.gate.route(send()) else {
        panic!("a message without a session must not reach the group commit");
    };
    refused(c.ask(&office, request), ErrorCode::NotAuthenticated);
    refused(
        c.ask(&office, Request::Users { after: None }),
        ErrorCode::NotAuthenticated,
    );
    let weak = Request::Register {
        username: "alice".into(),
        password: "short".into(),
    };
    refused(c.ask(&office, weak), ErrorCode::WeakPassword);
    assert_eq!(c.gate.login(), None);
    assert_eq!(c.gate.closing(), None);
}

#[test]
fn register_log_out_log_in_and_resume() {
    let office = Office::new();
    let mut first = Conn::new();
    first.hello(&office);
    let Ok(Reply::LoggedIn { token, .. }) = first.ask(&office, register("alice")) else {
        panic!("registration failed");
    };
    let login_one = first.gate.login().expect("logged in");
    assert_eq!(office.sessions(), 1);
    // A logged-in session's messages go to the group commit, for its own session.
    let Route::Commit(pending) = first.gate.route(send()) else {
        panic!("a logged-in session's message goes to the group commit");
    };
    assert_eq!(pending.sid, login_one.session);
    let mut replies = lock(&office.hub).send_batch(vec![pending], NOW);
    assert!(matches!(replies.pop(), Some(Ok(Reply::Sent { .. }))));

    assert_eq!(first.ask(&office, Request::Logout).unwrap(), Reply::Ok);
    assert_eq!(first.gate.closing(), Some(Close::LOGGED_OUT));
    assert_eq!(first.gate.login(), None);
    assert_eq!(office.sessions(), 0);

    // The logged-out token opens nothing; a wrong password is refused; the right one works.
    let mut second = Conn::new();
    second.hello(&office);
    refused(
        second.ask(&office, Request::Resume { token }),
        ErrorCode::SessionExpired,
    );
    refused(
        second.ask(&office, login("alice", "wrong horse battery")),
        ErrorCode::AuthFailed,
    );
    let Ok(Reply::LoggedIn { token, .. }) = second.ask(&office, login("alice", PASSWORD)) else {
        panic!("login failed");
    };
    let login_two = second.gate.login().expect("logged in");
    assert_eq!(login_two.user, login_one.user);
    refused(
        second.ask(&office, login("alice", PASSWORD)),
        ErrorCode::BadRequest,
    );

    // Another connection resumes with the new token: a second session of the same user.
    let mut third = Conn::new();
    third.hello(&office);
    assert!(matches!(
        third.ask(&office, Request::Resume { token }),
        Ok(Reply::LoggedIn { .. })
    ));
    assert_eq!(office.sessions(), 2);

    // A connection that goes away ends its session.
    third.gate.disconnected(office.cx());
    assert_eq!(third.gate.login(), None);
    assert_eq!(office.sessions(), 1);
}

#[test]
fn a_session_the_hub_drops_closes_its_connection() {
    let office = Office::new();
    let mut c = Conn::new();
    c.hello(&office);
    assert!(c.ask(&office, register("bob")).is_ok());
    let login = c.gate.login().expect("logged in");
    let eviction = c
        .gate
        .eviction()
        .expect("a logged-in gate watches its session");
    assert_eq!(eviction.try_recv(), Err(TryRecvError::Empty));
    // As when its outbox is full: the hub ends the session.
    lock(&office.hub).close_session(login.session);
    let eviction = c
        .gate
        .eviction()
        .expect("still watched until the gate is told");
    assert_eq!(eviction.try_recv(), Err(TryRecvError::Closed));
    c.gate.evicted();
    assert_eq!(c.gate.closing(), Some(Close::NOT_READING));
    assert_eq!(c.gate.login(), None);
    assert!(c.gate.eviction().is_none());
}
