//! The coordinator's voice on the multicast group: periodic announcements, an immediate answer
//! to every probe (so a starting client finds it in milliseconds), and presence changes.
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanchat_net::beacon::{Announce, BeaconKind};
use lanchat_net::discovery::Discovery;
use lanchat_net::protocol::UserInfo;
use tokio::sync::mpsc;

/// How often the coordinator announces itself unasked.
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// Probes answered closer together than this share one answer (a probe flood costs little).
const MIN_ANSWER_GAP: Duration = Duration::from_millis(50);

/// Runs until the task is aborted.
pub async fn run(
    discovery: Arc<Discovery>,
    announce: Announce,
    mut presence: mpsc::UnboundedReceiver<UserInfo>,
) {
    let mut tick = tokio::time::interval(ANNOUNCE_INTERVAL);
    let mut last_answer: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                send(&discovery, BeaconKind::Announce(announce.clone())).await;
            }
            received = discovery.recv() => match received {
                Ok((beacon, from)) => {
                    if matches!(beacon.kind, BeaconKind::Probe)
                        && last_answer.is_none_or(|t| t.elapsed() >= MIN_ANSWER_GAP)
                    {
                        tracing::debug!(%from, "probe answered");
                        last_answer = Some(Instant::now());
                        send(&discovery, BeaconKind::Announce(announce.clone())).await;
                    }
                }
                Err(e) => {
                    tracing::warn!("multicast receive failed: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            Some(user) = presence.recv() => {
                send(&discovery, BeaconKind::Presence {
                    username: user.username,
                    display: user.display,
                    status: user.status,
                }).await;
            }
        }
    }
}

async fn send(discovery: &Discovery, kind: BeaconKind) {
    if let Err(e) = discovery.send(kind).await {
        tracing::warn!("multicast send failed: {e}");
    }
}
