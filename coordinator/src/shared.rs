//! What every connection task and file stream of a running coordinator shares, and how they
//! run the hub's blocking work.
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use lanchat_net::protocol::{ErrorCode, ErrorInfo};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::Admission;
use crate::auth::Accounts;
use crate::commit::Committer;
use crate::gate::Context;
use crate::hub::{Hub, Refusal};
use crate::lock::lock;
use crate::reads::Reads;
use crate::relay::RelayBoard;
use crate::throttle::Pacer;

/// What every connection task shares.
#[derive(Debug)]
pub struct Shared {
    /// The coordinator's state. Behind its own `Arc` so the committing thread can hold it
    /// (weakly) without the rest.
    pub hub: Arc<Mutex<Hub>>,
    /// The hub's read side (reads without the hub's lock).
    pub reads: Arc<Reads>,
    /// OPAQUE keys, failed-login counts, the password-hashing pool.
    pub accounts: Accounts,
    /// The coordinator's name (for Welcome).
    pub name: String,
    /// Its key rollover statements, oldest first (for Welcome).
    pub rollover: Vec<lanchat_net::rollover::Rollover>,
    /// Connections not logged in yet, per address.
    pub admission: Arc<Admission>,
    /// How long after opening a connection must be logged in.
    pub login_timeout: Duration,
    /// Relayed offers waiting for their recipient.
    pub relays: RelayBoard,
    /// The group-commit queue every connection's messages go through.
    pub committer: Committer,
    /// Each user's pace of messages.
    pub pacer: Pacer,
    /// Every connection's task and every file stream's, so a shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Cancelled when the coordinator shuts down: connections stop reading, let their
    /// writers drain and close; file streams stop.
    pub shutdown: CancellationToken,
}

impl Shared {
    /// The hub.
    pub fn hub(&self) -> MutexGuard<'_, Hub> {
        lock(&self.hub)
    }

    /// What a connection's gate works on.
    pub fn context(&self) -> Context<'_> {
        Context {
            hub: &self.hub,
            reads: &self.reads,
            accounts: &self.accounts,
            name: &self.name,
            rollover: &self.rollover,
        }
    }
}

/// Runs `f` on the blocking pool (SQLite commits block); a panic in it is answered
/// as an internal error.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, ErrorInfo> {
    let result = tokio::task::spawn_blocking(f).await;
    result
        .map(|r| r.map_err(ErrorInfo::from))
        .unwrap_or_else(|e| {
            tracing::error!("request task failed: {e}");
            Err(ErrorInfo::new(ErrorCode::Internal, "internal error"))
        })
}
