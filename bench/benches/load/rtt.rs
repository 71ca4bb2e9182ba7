//! The round trip between two clients: A sends a direct message to B, B answers as soon as it
//! arrives, the round ends when A receives the answer. Back to back, nothing else running.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::plan::Plan;
use crate::system::{Peer, Received, System, To};

/// Failure guard for any one awaited message; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);

/// The next message from `sender` (a server may also hand a session its own message back).
async fn from(rx: &mut mpsc::UnboundedReceiver<Received>, sender: &str) -> String {
    loop {
        let (who, text) = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("round trip message in time")
            .expect("connection open");
        if who == sender {
            return text;
        }
    }
}

/// `plan.rtt_rounds` timed round trips after `plan.rtt_warmup` untimed ones.
pub async fn measure<S: System>(system: &S, plan: &Plan) -> Vec<Duration> {
    let [(mut a, a_name, mut a_rx), (mut b, b_name, mut b_rx)] = system.pair().await;
    let mut times = Vec::with_capacity(plan.rtt_rounds);
    for i in 0..plan.rtt_warmup + plan.rtt_rounds {
        let t0 = Instant::now();
        a.send(To::Dm(&b_name), format!("ping {i}"))
            .await
            .expect("a sends");
        let got = from(&mut b_rx, &a_name).await;
        b.send(To::Dm(&a_name), format!("re: {got}"))
            .await
            .expect("b answers");
        let back = from(&mut a_rx, &b_name).await;
        let took = t0.elapsed();
        assert_eq!(back, format!("re: ping {i}"), "answers arrive in order");
        if i >= plan.rtt_warmup {
            times.push(took);
        }
        if i % 100 == 0 {
            for s in [&mut a, &mut b] {
                let (errors, _) = s.drain_replies();
                assert!(errors.is_empty(), "round trip refused: {errors:?}");
            }
        }
    }
    a.close();
    b.close();
    tokio::time::sleep(Duration::from_millis(500)).await;
    times
}
