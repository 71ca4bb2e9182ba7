//! Trusting a coordinator: first contacts to approve (SSH-style) and a changed key to decide
//! on. The engine uses no coordinator it has never seen until the person approves its
//! fingerprint here, and a changed key stops everything until the person chooses.
use std::net::SocketAddr;

use lanchat_client::Command;
use lanchat_net::fingerprint::Fingerprint;

use super::{Model, Phase};

/// First contacts listed at most (anyone on the LAN can announce coordinators).
pub const MAX_UNKNOWN: usize = 8;

/// A coordinator that answered and was never used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The name it announces (anyone can announce any name).
    pub name: String,
    /// Where it says it is.
    pub addr: SocketAddr,
    /// Its certificate's fingerprint.
    pub fingerprint: Fingerprint,
}

/// A pinned coordinator's name now comes with another key, and the old key did not vouch
/// for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// Coordinator name.
    pub name: String,
    /// The fingerprint trusted before (short form).
    pub pinned: String,
    /// The one presented now.
    pub offered: Fingerprint,
}

impl Model {
    /// The person compared the fingerprint of first contact number `index` and trusts it.
    pub fn trust(&mut self, index: usize) -> Option<Command> {
        if index >= self.unknown.len() {
            return None;
        }
        let u = self.unknown.remove(index);
        self.unknown.clear();
        self.phase = Phase::Discovering;
        Some(Command::AcceptFingerprint {
            name: u.name,
            fingerprint: u.fingerprint,
        })
    }

    /// The person decided to trust the changed key (it was reinstalled).
    pub fn trust_changed_key(&mut self) -> Option<Command> {
        let change = self.key_changed.take()?;
        if matches!(self.phase, Phase::FingerprintChanged { .. }) {
            self.phase = Phase::Discovering;
        }
        Some(Command::AcceptFingerprint {
            name: change.name,
            fingerprint: change.offered,
        })
    }

    /// The person keeps refusing the changed key: the warning goes, the engine goes on
    /// refusing it (and keeps looking for the pinned one).
    pub fn keep_refusing(&mut self) {
        self.key_changed = None;
        if matches!(self.phase, Phase::FingerprintChanged { .. }) {
            self.phase = Phase::Discovering;
        }
        self.notify(
            "The changed key stays refused; still looking for the trusted coordinator.",
            false,
        );
    }
}
