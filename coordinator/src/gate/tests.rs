//! The gate's decisions, against a real hub in memory (no sockets).
use std::sync::Mutex;

use lanchat_net::opaque::{LoggingIn, OpaqueBytes, Registering};
use lanchat_net::protocol::{ConvRef, MsgId};
use lanchat_store::{Credential, Store};
use tokio::sync::oneshot::error::TryRecvError;

use super::*;
use crate::auth::backoff::FREE_PER_ACCOUNT;
use crate::auth::hash_password;
use crate::hub::OUTBOX_CAPACITY;
use crate::outbox::{outbox, OutboxReader};

const NOW: i64 = 1_700_000_000_000;
const PASSWORD: &str = "correct horse battery";

/// A coordinator's state without the coordinator.
struct Office {
    hub: Mutex<Hub>,
    reads: std::sync::Arc<Reads>,
    accounts: Accounts,
}

impl Office {
    fn new() -> Office {
        let hub = Hub::new(Store::open_in_memory().unwrap());
        Office {
            reads: hub.reads(),
            hub: Mutex::new(hub),
            accounts: Accounts::ephemeral(),
        }
    }

    fn cx(&self) -> Context<'_> {
        Context {
            hub: &self.hub,
            reads: &self.reads,
            accounts: &self.accounts,
            name: "test office",
            rollover: &[],
        }
    }

    fn sessions(&self) -> usize {
        lock(&self.hub).session_count()
    }
}

/// One client connection: its gate and its outbox, from an address at a time.
struct Conn {
    gate: Gate,
    outbox: Outbox,
    _frames: OutboxReader,
    remote: std::net::SocketAddr,
    now: i64,
}

impl Conn {
    fn new() -> Conn {
        Conn::from("127.0.0.1:50000")
    }

    fn from(remote: &str) -> Conn {
        let (outbox, frames) = outbox(OUTBOX_CAPACITY);
        Conn {
            gate: Gate::new(),
            outbox,
            _frames: frames,
            remote: remote.parse().unwrap(),
            now: NOW,
        }
    }

    fn ask(&mut self, office: &Office, request: Request) -> Result<Reply, ErrorInfo> {
        self.gate
            .handle(office.cx(), self.remote, &self.outbox, request, self.now)
    }

    /// Registers `username` with OPAQUE, as a client does.
    fn register(&mut self, office: &Office, username: &str) -> Result<Reply, ErrorInfo> {
        let (state, request) = Registering::start(PASSWORD).unwrap();
        let start = Request::RegisterStart {
            username: username.into(),
            request,
        };
        let Reply::RegisterResponse { response } = self.ask(office, start)? else {
            panic!("not a registration response");
        };
        let upload = state.finish(PASSWORD, &response).unwrap();
        self.ask(office, Request::RegisterFinish { upload })
    }

    /// Logs in with OPAQUE, as a client does; a wrong password ends on the client's side
    /// (`Ok(None)`: nothing more is sent).
    fn log_in(
        &mut self,
        office: &Office,
        username: &str,
        password: &str,
    ) -> Result<Option<Reply>, ErrorInfo> {
        let (state, request) = LoggingIn::start(password).unwrap();
        let start = Request::LoginStart {
            username: username.into(),
            request,
        };
        let Reply::LoginResponse { response } = self.ask(office, start)? else {
            panic!("not a login response");
        };
        match state.finish(password, &response) {
            Ok(finalization) => self
                .ask(office, Request::LoginFinish { finalization })
                .map(Some),
            Err(_) => Ok(None),
        }
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

fn send() -> Request {
    Request::Send {
        conv: ConvRef::Room("general".into()),
        id: MsgId::random(),
        text: "hello".into(),
        reply_to: None,
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
        c.ask(&office, Request::Users { after: None }),
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
    let (_, request) = LoggingIn::start(PASSWORD).unwrap();
    let finish_first = Request::LoginFinish {
        finalization: request.clone(),
    };
    let e = refused(c.ask(&office, finish_first), ErrorCode::BadRequest);
    assert!(e.message.contains("does not follow"), "{}", e.message);
    let junk = Request::LoginStart {
        username: "alice".into(),
        request: OpaqueBytes::new(vec![0xff; 7]).unwrap(),
    };
    let e = refused(c.ask(&office, junk), ErrorCode::BadRequest);
    assert!(e.message.contains("malformed OPAQUE"), "{}", e.message);
    assert_eq!(c.gate.login(), None);
    assert_eq!(c.gate.closing(), None);
}

#[test]
fn register_log_out_log_in_and_resume() {
    let office = Office::new();
    let mut first = Conn::new();
    first.hello(&office);
    let Ok(Reply::LoggedIn { token, .. }) = first.register(&office, "alice") else {
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
    assert_eq!(
        second.log_in(&office, "alice", "wrong horse battery"),
        Ok(None),
        "a wrong password never gets as far as a proof"
    );
    let Ok(Some(Reply::LoggedIn { token, .. })) = second.log_in(&office, "alice", PASSWORD) else {
        panic!("login failed");
    };
    let login_two = second.gate.login().expect("logged in");
    assert_eq!(login_two.user, login_one.user);
    let (_, request) = LoggingIn::start(PASSWORD).unwrap();
    let again = Request::LoginStart {
        username: "alice".into(),
        request,
    };
    refused(second.ask(&office, again), ErrorCode::BadRequest);

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
    assert!(c.register(&office, "bob").is_ok());
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

#[test]
fn an_unknown_name_is_answered_like_a_known_one() {
    let office = Office::new();
    let mut c = Conn::new();
    c.hello(&office);
    c.register(&office, "alice").unwrap();
    let answer = |name: &str| {
        let mut c = Conn::new();
        c.hello(&office);
        let (_, request) = LoggingIn::start("some guess at it").unwrap();
        let start = Request::LoginStart {
            username: name.into(),
            request,
        };
        match c.ask(&office, start) {
            Ok(Reply::LoginResponse { response }) => response.as_bytes().len(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(answer("alice"), answer("nobody"));
    // And the end is the same: the envelope opens for no password.
    let mut c = Conn::new();
    c.hello(&office);
    assert_eq!(c.log_in(&office, "nobody", PASSWORD), Ok(None));
}

#[test]
fn a_legacy_account_is_upgraded_once_with_its_password() {
    let office = Office::new();
    let hash = hash_password(PASSWORD).unwrap();
    let carol = lock(&office.hub)
        .store()
        .create_user("carol", "carol", &hash, NOW)
        .unwrap();
    let mut c = Conn::new();
    c.hello(&office);
    let (_, request) = LoggingIn::start(PASSWORD).unwrap();
    let start = Request::LoginStart {
        username: "carol".into(),
        request,
    };
    assert_eq!(c.ask(&office, start.clone()), Ok(Reply::LegacyAccount));
    // A wrong password is refused, and the step is spent.
    let (_, registration) = Registering::start("wrong horse battery").unwrap();
    let wrong = Request::LegacyLogin {
        password: "wrong horse battery".into(),
        request: registration,
    };
    refused(c.ask(&office, wrong.clone()), ErrorCode::AuthFailed);
    refused(c.ask(&office, wrong), ErrorCode::BadRequest);
    // The right one: the coordinator answers the registration that replaces the hash.
    assert_eq!(c.ask(&office, start), Ok(Reply::LegacyAccount));
    let (state, request) = Registering::start(PASSWORD).unwrap();
    let legacy = Request::LegacyLogin {
        password: PASSWORD.into(),
        request,
    };
    let Ok(Reply::RegisterResponse { response }) = c.ask(&office, legacy) else {
        panic!("the legacy password was refused");
    };
    let upload = state.finish(PASSWORD, &response).unwrap();
    let logged_in = c.ask(&office, Request::RegisterFinish { upload });
    assert!(
        matches!(logged_in, Ok(Reply::LoggedIn { .. })),
        "{logged_in:?}"
    );
    assert_eq!(c.gate.login().map(|l| l.user), Some(carol.id));
    let stored = lock(&office.hub).store().credential("carol").unwrap();
    assert!(matches!(stored, Some((_, Credential::Opaque(_)))));
    // From now on: OPAQUE, never "legacy" again.
    let mut d = Conn::new();
    d.hello(&office);
    assert!(matches!(
        d.log_in(&office, "carol", PASSWORD),
        Ok(Some(Reply::LoggedIn { .. }))
    ));
}

#[test]
fn a_guesser_backs_off_and_the_victim_on_his_own_machine_logs_in() {
    let office = Office::new();
    let mut bob = Conn::from("127.0.0.1:40000");
    bob.hello(&office);
    bob.register(&office, "bob").unwrap();
    let mut attacker = Conn::from("127.0.0.2:40000");
    attacker.hello(&office);
    for _ in 0..FREE_PER_ACCOUNT {
        assert_eq!(
            attacker.log_in(&office, "bob", "guess number one"),
            Ok(None)
        );
    }
    let mut waits = Vec::new();
    for _ in 0..4 {
        assert_eq!(
            attacker.log_in(&office, "bob", "guess number two"),
            Ok(None)
        );
        let e = attacker
            .log_in(&office, "bob", "guess number three")
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("try again in"), "{}", e.message);
        let secs: i64 = e
            .message
            .rsplit("try again in ")
            .next()
            .and_then(|s| s.trim_end_matches(" s").parse().ok())
            .unwrap();
        waits.push(secs);
        attacker.now += secs * 1000;
    }
    assert_eq!(
        waits,
        [1, 2, 4, 8],
        "the attacker's address backs off exponentially"
    );
    // Bob, from his own machine, is not locked out.
    let mut again = Conn::from("127.0.0.1:40001");
    again.hello(&office);
    assert!(matches!(
        again.log_in(&office, "bob", PASSWORD),
        Ok(Some(Reply::LoggedIn { .. }))
    ));
}

#[test]
fn a_password_change_proves_the_current_password_and_ends_other_sessions() {
    let office = Office::new();
    let mut c = Conn::new();
    c.hello(&office);
    let Ok(Reply::LoggedIn { token: other, .. }) = c.register(&office, "alice") else {
        panic!("registration failed");
    };
    let mut c = Conn::new();
    c.hello(&office);
    c.log_in(&office, "alice", PASSWORD).unwrap().unwrap();
    let new = "a brand new secret";
    let change = |c: &mut Conn, current: &str| {
        let (login_state, login) = LoggingIn::start(current).unwrap();
        let (reg_state, registration) = Registering::start(new).unwrap();
        let start = Request::PasswordStart {
            login,
            registration,
        };
        let Ok(Reply::PasswordResponse {
            login,
            registration,
        }) = c.ask(&office, start)
        else {
            panic!("no password response");
        };
        let upload = reg_state.finish(new, &registration).unwrap();
        match login_state.finish(current, &login) {
            Ok(finalization) => Some(c.ask(
                &office,
                Request::PasswordFinish {
                    finalization,
                    upload,
                },
            )),
            Err(_) => None,
        }
    };
    assert_eq!(change(&mut c, "not the password"), None);
    assert_eq!(change(&mut c, PASSWORD), Some(Ok(Reply::Ok)));
    // The old password opens nothing, the new one does, and the other token is revoked.
    let mut d = Conn::new();
    d.hello(&office);
    assert_eq!(d.log_in(&office, "alice", PASSWORD), Ok(None));
    assert!(matches!(
        d.log_in(&office, "alice", new),
        Ok(Some(Reply::LoggedIn { .. }))
    ));
    let mut e = Conn::new();
    e.hello(&office);
    refused(
        e.ask(&office, Request::Resume { token: other }),
        ErrorCode::SessionExpired,
    );
}
