//! Logging in: how far it got, and the coordinator it is with.
use std::net::SocketAddr;

use lanchat_net::fingerprint::Fingerprint;

/// Where logging in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Looking for a coordinator on the LAN.
    Discovering,
    /// Nothing answered for a while (the login window offers to host one, retry, or enter an
    /// address). Set by the UI's timer, not by an event.
    NotFound,
    /// A coordinator is known (connecting or connected); not logged in.
    Found,
    /// The coordinator's fingerprint differs from the pinned one: the person must confirm.
    FingerprintChanged {
        /// Coordinator name.
        name: String,
        /// What was pinned (short form).
        pinned: String,
        /// What it presents now.
        offered: Fingerprint,
    },
    /// Logged in; the main window is up.
    LoggedIn,
    /// The engine stopped (logged out or shut down).
    Stopped,
}

/// The coordinator the engine chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorInfo {
    /// Announced name.
    pub name: String,
    /// QUIC address.
    pub addr: SocketAddr,
    /// Fingerprint, short grouped form.
    pub fingerprint: String,
    /// Not pinned before: show it for the person to compare.
    pub first_use: bool,
}
