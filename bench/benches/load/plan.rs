//! What a run measures, from the environment: quick or full, which parts, which fan-out runs,
//! and whether the ngIRCd reference runs.

use std::time::Duration;

/// Set to anything but 0 for the short version.
const QUICK_ENV: &str = "LANCHAT_LOAD_QUICK";
/// Comma-separated parts to run (rtt, fanout, idle); all when unset.
const ONLY_ENV: &str = "LANCHAT_LOAD_ONLY";
/// Comma-separated `members@rate` fan-out runs (for example `500@2000`); all when unset.
const RUNS_ENV: &str = "LANCHAT_LOAD_RUNS";
/// Set to 0 to leave the ngIRCd reference out even where it could run.
const IRC_ENV: &str = "LANCHAT_LOAD_IRC";

/// Room sizes of the fan-out runs (sessions, senders included).
pub const ROOMS: [usize; 3] = [10, 100, 500];
/// Offered message rates of the fan-out runs (messages per second, all senders together).
const RATES: [u32; 2] = [200, 2000];

/// One run's choices.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The ~1-minute version.
    pub quick: bool,
    /// Round trips before timing.
    pub rtt_warmup: usize,
    /// Timed round trips.
    pub rtt_rounds: usize,
    /// Length of each fan-out stream.
    pub stream: Duration,
    /// The untimed start of each stream.
    pub warmup: Duration,
    /// Idle client counts, in increasing steps.
    pub idle: Vec<usize>,
    /// Which parts run.
    parts: Vec<String>,
    /// Which fan-out runs (room size, offered rate) are made.
    pub runs: Vec<(usize, u32)>,
    /// Whether the ngIRCd reference may run.
    pub irc: bool,
}

impl Plan {
    /// Whether `part` (rtt, fanout, idle) runs.
    pub fn runs(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

/// The plan the environment asks for.
pub fn plan() -> Plan {
    let quick = std::env::var(QUICK_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let irc = std::env::var(IRC_ENV).map_or(true, |v| v != "0");
    let parts = std::env::var(ONLY_ENV)
        .unwrap_or_else(|_| "rtt,fanout,idle".into())
        .split(',')
        .map(|p| p.trim().to_string())
        .collect();
    let all_runs = ROOMS
        .into_iter()
        .flat_map(|members| RATES.map(|rate| (members, rate)))
        .collect();
    let runs = std::env::var(RUNS_ENV).map_or(all_runs, |v| {
        v.split(',')
            .filter_map(|run| {
                let (members, rate) = run.trim().split_once('@')?;
                Some((members.parse().ok()?, rate.parse().ok()?))
            })
            .collect()
    });
    if quick {
        Plan {
            quick,
            rtt_warmup: 20,
            rtt_rounds: 300,
            stream: Duration::from_secs(3),
            warmup: Duration::from_millis(500),
            idle: vec![1000],
            parts,
            runs,
            irc,
        }
    } else {
        Plan {
            quick,
            rtt_warmup: 50,
            rtt_rounds: 1000,
            stream: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            idle: vec![1000, 10_000],
            parts,
            runs,
            irc,
        }
    }
}
