//! Files moving to or from here, as the transfer strip shows them.
use std::path::PathBuf;

use lanchat_client::TransferKey;

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    /// Offered; the recipient has not answered.
    Waiting,
    /// Bytes are moving.
    Moving,
    /// Finished and the BLAKE3 hash checked out.
    Verified {
        /// Where it was saved (receiving side).
        path: Option<PathBuf>,
    },
    /// Failed, denied or cancelled; says why.
    Failed(String),
}

/// A file moving to or from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Which one.
    pub key: TransferKey,
    /// File name.
    pub name: String,
    /// Bytes done.
    pub done: u64,
    /// File size.
    pub total: u64,
    /// Bytes per second.
    pub rate: u64,
    /// Time left.
    pub eta_ms: Option<u64>,
    /// State.
    pub state: TransferState,
}

impl Transfer {
    pub(super) fn new(key: TransferKey, name: &str, total: u64, state: TransferState) -> Self {
        Transfer {
            key,
            name: name.to_string(),
            done: 0,
            total,
            rate: 0,
            eta_ms: None,
            state,
        }
    }

    /// Still running (can be cancelled).
    pub fn active(&self) -> bool {
        matches!(self.state, TransferState::Waiting | TransferState::Moving)
    }
}
