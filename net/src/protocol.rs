//! Wire types shared by coordinator and clients.
use serde::{Deserialize, Serialize};

/// Whether a user is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PresenceStatus {
    /// At least one session is active and not away.
    Online,
    /// Every session of the user is marked away.
    Away,
    /// No session.
    Offline,
}
