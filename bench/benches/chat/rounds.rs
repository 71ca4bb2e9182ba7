//! The schedule every round-trip measurement follows, so their figures compare: warm-up plus
//! measured rounds, one every ROUND_INTERVAL.

use std::thread;
use std::time::{Duration, Instant};

/// Round trips before measuring (QUIC congestion window, SQLite page cache, DM thread creation).
pub const WARMUP_ROUNDS: usize = 20;
/// Measured round trips.
pub const MEASURED_ROUNDS: usize = 300;
/// One round every 60 ms is ~16.7 messages/s per client: under the coordinator's 20/s limit
/// for the whole run, so no send is ever throttled and no burst credit is needed.
pub const ROUND_INTERVAL: Duration = Duration::from_millis(60);

/// When round `i` of a schedule that started at `start` begins.
pub fn slot<T: std::ops::Add<Duration, Output = T>>(start: T, i: usize) -> T {
    start + ROUND_INTERVAL * i as u32
}

/// Runs `round(i)` for warm-up plus measured rounds, one every ROUND_INTERVAL (on a fixed
/// schedule, so a slow round does not shift the ones after it); returns the measured times.
pub fn paced_rounds(mut round: impl FnMut(usize) -> Duration) -> Vec<Duration> {
    let start = Instant::now();
    let mut measured = Vec::with_capacity(MEASURED_ROUNDS);
    for i in 0..WARMUP_ROUNDS + MEASURED_ROUNDS {
        thread::sleep(slot(start, i).saturating_duration_since(Instant::now()));
        let took = round(i);
        if i >= WARMUP_ROUNDS {
            measured.push(took);
        }
    }
    measured
}
