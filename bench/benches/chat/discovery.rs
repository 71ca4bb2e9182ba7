//! Client start → coordinator found, and → connected.

use std::time::{Duration, Instant};

use lanchat_client::Event;

use crate::engine::{start_client, wait_for, Lan};

/// Sequential client starts measured for discovery.
pub const DISCOVERY_RUNS: usize = 30;

/// Returns (start → CoordinatorFound, start → Connected) per run. The clock starts before
/// `Engine::start`, so socket setup and thread spawn are included, as a user would see them.
pub fn measure(lan: &Lan) -> (Vec<Duration>, Vec<Duration>) {
    let mut found = Vec::with_capacity(DISCOVERY_RUNS);
    let mut connected = Vec::with_capacity(DISCOVERY_RUNS);
    for i in 0..DISCOVERY_RUNS {
        let t0 = Instant::now();
        let client = start_client(lan, &format!("probe{i}"));
        wait_for(&client.engine, "CoordinatorFound", |e| {
            matches!(e, Event::CoordinatorFound { .. }).then_some(())
        });
        found.push(t0.elapsed());
        wait_for(&client.engine, "Connected", |e| {
            matches!(e, Event::Connected { .. }).then_some(())
        });
        connected.push(t0.elapsed());
        // Dropping the engine shuts it down before the next run starts.
    }
    (found, connected)
}
