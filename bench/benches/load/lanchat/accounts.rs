//! The bench's lanchat accounts. Argon2 makes a password login cost ~60 ms, so a pool of
//! accounts registers once and every other connection resumes one of them with its session
//! token (a user may have many sessions). A room of N is N sessions whose users joined it.

use std::sync::Arc;

use lanchat_net::protocol::{Reply, Request};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::session::{Net, Session};
use crate::fanout::SENDERS;
use crate::plan::ROOMS;
use crate::system::{Peer as _, Recorder};

/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";
/// Accounts that receive (registered once, then resumed as often as needed).
pub const POOL_USERS: usize = 50;
/// Connections being set up at once.
const CONNECT_CONCURRENCY: usize = 64;

/// A registered account and a session token for resuming it.
#[derive(Debug, Clone)]
pub struct Account {
    /// User name.
    pub name: String,
    token: [u8; 32],
}

impl Account {
    fn resume(&self) -> Request {
        Request::Resume { token: self.token }
    }
}

/// Every account the bench uses.
pub struct Accounts {
    /// The receiving users (room members, idle clients).
    pub pool: Vec<Account>,
    /// One user per sending session.
    pub senders: Vec<Account>,
    /// The two users of the round trip.
    pub rtt: [Account; 2],
}

/// The room of `members` sessions.
pub fn room_name(members: usize) -> String {
    format!("load{members}")
}

/// Users of the pool that join the room of `members` sessions (its receivers are spread over
/// them round robin).
pub fn receivers_of(members: usize) -> usize {
    (members - SENDERS).min(POOL_USERS)
}

async fn register(net: Arc<Net>, name: String) -> (Session, Account) {
    // OPAQUE: the password stays here; the coordinator keeps the record it is sent.
    let (state, request) = lanchat_net::opaque::Registering::start(PASSWORD).unwrap();
    let start = Request::RegisterStart {
        username: name.clone(),
        request,
    };
    let (mut session, reply) = Session::open(&net, start, Arc::default())
        .await
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    let Reply::RegisterResponse { response } = reply else {
        panic!("register {name}: {reply:?}");
    };
    let upload = state.finish(PASSWORD, &response).unwrap();
    let reply = session
        .ask(Request::RegisterFinish { upload })
        .await
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    let Reply::LoggedIn { token, .. } = reply else {
        panic!("register {name}: {reply:?}");
    };
    (session, Account { name, token })
}

/// Registers every account (two at a time: Argon2 is one core's work each), creates the rooms
/// and joins the users to them.
pub async fn setup_accounts(net: &Arc<Net>) -> Accounts {
    let names: Vec<String> = (0..SENDERS)
        .map(|i| format!("sender{i}"))
        .chain(["rtt_a".to_string(), "rtt_b".to_string()])
        .chain((0..POOL_USERS).map(|i| format!("user{i:02}")))
        .collect();
    let limit = Arc::new(Semaphore::new(2));
    let mut tasks = JoinSet::new();
    for (i, name) in names.into_iter().enumerate() {
        let (net, limit) = (net.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            (i, register(net, name).await)
        });
    }
    let mut done: Vec<(usize, (Session, Account))> = tasks.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    let mut sessions: Vec<(Session, Account)> = done.into_iter().map(|(_, s)| s).collect();

    for members in ROOMS {
        let room = room_name(members);
        sessions[0]
            .0
            .ask(Request::CreateRoom {
                name: room.clone(),
                private: false,
                full_history: false,
            })
            .await
            .expect("create room");
        // The other senders, then the receiving pool users (after the two round-trip users).
        let pool_start = SENDERS + 2;
        let joiners = (1..SENDERS).chain(pool_start..pool_start + receivers_of(members));
        for i in joiners {
            let (session, account) = &mut sessions[i];
            session
                .ask(Request::JoinRoom { name: room.clone() })
                .await
                .unwrap_or_else(|e| panic!("{} joins #{room}: {e}", account.name));
        }
    }
    let mut accounts: Vec<Account> = Vec::new();
    for (session, account) in sessions {
        session.close();
        accounts.push(account);
    }
    let pool = accounts.split_off(SENDERS + 2);
    let rtt_b = accounts.pop().expect("rtt_b");
    let rtt_a = accounts.pop().expect("rtt_a");
    Accounts {
        pool,
        senders: accounts,
        rtt: [rtt_a, rtt_b],
    }
}

/// Opens one resumed session per entry of `who` (recording into `recorders`' results),
/// `CONNECT_CONCURRENCY` at a time; returns them in order.
pub async fn open_many(net: &Arc<Net>, who: Vec<(Account, Arc<Recorder>)>) -> Vec<Session> {
    let limit = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (i, (account, rec)) in who.into_iter().enumerate() {
        let (net, limit) = (net.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let (session, reply) = Session::open(&net, account.resume(), rec)
                .await
                .unwrap_or_else(|e| panic!("resume {}: {e}", account.name));
            assert!(
                matches!(reply, Reply::LoggedIn { .. }),
                "resume {}: {reply:?}",
                account.name
            );
            (i, session)
        });
    }
    let mut done = tasks.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, s)| s).collect()
}
