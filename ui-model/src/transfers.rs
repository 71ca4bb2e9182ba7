//! What the transfer strip says about each transfer.
use crate::format;
use crate::model::{Transfer, TransferState};

/// "plan.pdf — 40% of 1.2 MiB, 3.1 MiB/s, 2 s left" and the like.
pub fn describe(t: &Transfer) -> String {
    match &t.state {
        TransferState::Waiting => format!("{} — waiting for the recipient", t.name),
        TransferState::Moving => {
            let pct = (t.done * 100).checked_div(t.total).unwrap_or(0);
            let mut s = format!(
                "{} — {pct}% of {}, {}/s",
                t.name,
                format::size(t.total),
                format::size(t.rate)
            );
            if let Some(ms) = t.eta_ms {
                s.push_str(&format!(", {} s left", ms.div_ceil(1000)));
            }
            s
        }
        TransferState::Verified { path: Some(p) } => {
            format!("{} — done, verified; saved to {}", t.name, p.display())
        }
        TransferState::Verified { path: None } => format!("{} — done, verified", t.name),
        TransferState::Failed(why) => format!("{} — failed: {why}", t.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_client::TransferKey;

    #[test]
    fn describes_progress_and_outcomes() {
        let mut t = Transfer {
            key: TransferKey::Offer(1),
            name: "a.bin".into(),
            done: 512 * 1024,
            total: 1024 * 1024,
            rate: 2 * 1024 * 1024,
            eta_ms: Some(1500),
            state: TransferState::Moving,
        };
        assert_eq!(describe(&t), "a.bin — 50% of 1.0 MiB, 2.0 MiB/s, 2 s left");
        t.state = TransferState::Failed("denied".into());
        assert_eq!(describe(&t), "a.bin — failed: denied");
    }
}
