//! The one clock every timestamp of the bench is read from (one process, so a message can
//! carry its send time and the receiver can subtract).

use std::sync::OnceLock;
use std::time::Instant;

/// The bench's time zero (set on first use; `main` touches it first).
pub fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Microseconds since [`start`].
pub fn now_us() -> u64 {
    start().elapsed().as_micros() as u64
}
