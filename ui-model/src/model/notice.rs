//! Transient notices (they clear by themselves) and the connection state (a banner only
//! while disconnected).
//!
//! The model has no clock: a notice gets an id, and the widgets ask for it to be expired a
//! few seconds later ([`super::Model::expire_notice`]); the banner's countdown is computed
//! from the time the widgets measured since the disconnection
//! ([`crate::captions::connection_banner`]).

/// How long a notice stays, for the widgets' timer.
pub const NOTICE_SECONDS: f64 = 6.0;
/// Notices shown at most (the oldest go first).
pub const MAX_NOTICES: usize = 5;

/// A line for the person that clears by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its number (to expire it).
    pub id: u64,
    /// What it says.
    pub text: String,
    /// Something went wrong (shown in red).
    pub error: bool,
}

/// The connection to the coordinator is down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    /// Why, as the engine said it.
    pub reason: String,
    /// When the engine tries again, counted from the disconnection.
    pub retry_in_ms: u64,
}
