//! The coordinator's voice on the multicast group: periodic announcements and a prompt answer
//! to every probe (so a starting client finds it in milliseconds). Presence is not multicast
//! (see `hub/presence.rs`): logged-in clients hear it over QUIC.
//!
//! Answers go to the whole group, so one answer serves every client that probed before it. The
//! coordinator answers at most once per [`MIN_ANSWER_GAP`]: a probe that comes sooner is
//! answered when the gap is over, together with every other probe of that moment. That bounds
//! the work a probe flood can cause (20 answers a second) without making anyone wait for their
//! next probe: when a whole office starts at once after a power cut, every client hears an
//! answer within the gap.
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanchat_net::beacon::{Announce, BeaconKind};
use lanchat_net::discovery::Discovery;

/// How often the coordinator announces itself unasked.
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// Probes answered closer together than this share one answer (a probe flood costs little).
pub const MIN_ANSWER_GAP: Duration = Duration::from_millis(50);

/// Runs until the task is aborted.
pub async fn run(discovery: Arc<Discovery>, announce: Announce) {
    let mut tick = tokio::time::interval(ANNOUNCE_INTERVAL);
    let mut answers = Answers::default();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                send(&discovery, BeaconKind::Announce(announce.clone())).await;
            }
            () = sleep_until(answers.due()) => {
                answers.sent(Instant::now());
                send(&discovery, BeaconKind::Announce(announce.clone())).await;
            }
            received = discovery.recv() => match received {
                Ok((beacon, from)) => {
                    if matches!(beacon.kind, BeaconKind::Probe) {
                        tracing::debug!(%from, "probe");
                        answers.probed(Instant::now());
                    }
                }
                Err(e) => {
                    tracing::warn!("multicast receive failed: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
        }
    }
}

/// When the next answer to probes is due: as soon as a probe comes, but never closer than
/// [`MIN_ANSWER_GAP`] to the last answer. Sans I/O, so the rule is tested with plain times.
#[derive(Debug, Default)]
struct Answers {
    last: Option<Instant>,
    due: Option<Instant>,
}

impl Answers {
    /// A probe came at `now`.
    fn probed(&mut self, now: Instant) {
        let earliest = self.last.map_or(now, |t| (t + MIN_ANSWER_GAP).max(now));
        self.due = Some(self.due.map_or(earliest, |d| d.min(earliest)));
    }

    /// An answer went out at `now` (it serves every probe so far).
    fn sent(&mut self, now: Instant) {
        self.last = Some(now);
        self.due = None;
    }

    fn due(&self) -> Option<Instant> {
        self.due
    }
}

/// Waits until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn send(discovery: &Discovery, kind: BeaconKind) {
    if let Err(e) = discovery.send(kind).await {
        tracing::warn!("multicast send failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_is_answered_within_the_gap_and_a_burst_shares_one_answer() {
        let t0 = Instant::now();
        let mut a = Answers::default();
        assert_eq!(a.due(), None);
        a.probed(t0);
        assert_eq!(a.due(), Some(t0), "the first probe is answered at once");
        a.sent(t0);
        // A burst right after: one answer, when the gap is over (not dropped).
        for ms in [1, 5, 30] {
            a.probed(t0 + Duration::from_millis(ms));
        }
        assert_eq!(a.due(), Some(t0 + MIN_ANSWER_GAP));
        a.sent(t0 + MIN_ANSWER_GAP);
        assert_eq!(a.due(), None);
        // A probe long after is answered at once.
        let later = t0 + Duration::from_secs(3);
        a.probed(later);
        assert_eq!(a.due(), Some(later));
    }
}
