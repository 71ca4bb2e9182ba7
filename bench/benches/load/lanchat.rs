//! lanchat as a [`System`]: the release coordinator in its own process, raw protocol clients
//! here.

mod accounts;
mod coordinator;
mod session;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

pub use session::CLIENT_ENDPOINTS;

use crate::fanout::SENDERS;
use crate::system::{Received, Recorder, System};
use accounts::{open_many, receivers_of, room_name, setup_accounts, Accounts, POOL_USERS};
use coordinator::{lanchat_binary, CoordinatorProcess};
use session::{Net, Session};

/// Idle memory settles after about a minute: quinn hands every received datagram to its
/// connection through a tokio channel that allocates 32 event slots (6.5 KB) at a time and,
/// once a connection has received 32 datagrams (about 45 s of keep-alives each way), keeps a
/// second such block for reuse. Read 8 s after connecting, 10,000 idle clients measured
/// 31 KB each; settled, 37 KB.
const SETTLE_MIN: Duration = Duration::from_secs(60);

/// The coordinator, the client endpoints and the accounts.
pub struct Lanchat {
    /// The binary the coordinator runs (for the report).
    pub binary: PathBuf,
    _data: tempfile::TempDir,
    coord: CoordinatorProcess,
    net: Arc<Net>,
    accounts: Accounts,
}

impl Lanchat {
    /// Starts the coordinator and registers the accounts (rooms made and joined).
    pub async fn start() -> Self {
        let binary = lanchat_binary();
        let data = tempfile::tempdir().expect("coordinator tempdir");
        let coord = CoordinatorProcess::start(&binary, data.path());
        eprintln!(
            "coordinator pid {} on {} ({})",
            coord.child.id(),
            coord.addr,
            binary.display()
        );
        let net = Net::new(&coord);
        eprintln!("registering {} accounts...", POOL_USERS + SENDERS + 2);
        let accounts = setup_accounts(&net).await;
        Lanchat {
            binary,
            _data: data,
            coord,
            net,
            accounts,
        }
    }

    /// Stops the coordinator (gracefully).
    pub fn stop(mut self) {
        self.coord.stop();
    }
}

impl System for Lanchat {
    type Peer = Session;

    fn pid(&self) -> u32 {
        self.coord.child.id()
    }

    fn room_name(&self, members: usize) -> String {
        room_name(members)
    }

    async fn room(&self, members: usize, senders: usize) -> Vec<Session> {
        assert_eq!(
            senders, SENDERS,
            "the accounts were made for {SENDERS} senders"
        );
        let receivers = receivers_of(members);
        let who = self
            .accounts
            .senders
            .iter()
            .cloned()
            .chain((0..members - SENDERS).map(|i| self.accounts.pool[i % receivers].clone()))
            .map(|a| (a, Arc::default()))
            .collect();
        open_many(&self.net, who).await
    }

    async fn pair(&self) -> [(Session, String, mpsc::UnboundedReceiver<Received>); 2] {
        let [a, b] = self.accounts.rtt.clone();
        let (rec_a, rx_a) = Recorder::forwarding();
        let (rec_b, rx_b) = Recorder::forwarding();
        let mut sessions = open_many(&self.net, vec![(a.clone(), rec_a), (b.clone(), rec_b)])
            .await
            .into_iter();
        let sa = sessions.next().expect("a");
        let sb = sessions.next().expect("b");
        [(sa, a.name, rx_a), (sb, b.name, rx_b)]
    }

    async fn idle(&self, first: usize, count: usize) -> Vec<Session> {
        let who = (first..first + count)
            .map(|i| (self.accounts.pool[i % POOL_USERS].clone(), Arc::default()))
            .collect();
        open_many(&self.net, who).await
    }

    async fn restart(&mut self) {
        self.coord.restart();
        self.net = Net::new(&self.coord);
    }

    fn receivers_per_message(&self, members: usize) -> usize {
        // Every session of every member gets it, the sender's own included.
        members
    }

    fn settle_min(&self) -> Duration {
        SETTLE_MIN
    }
}
