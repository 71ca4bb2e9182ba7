//! What the transfers panel says about each transfer, and which buttons its row offers.
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
        TransferState::Verified { path: Some(_) } => {
            format!(
                "{} — received, verified ({})",
                t.name,
                format::size(t.total)
            )
        }
        TransferState::Verified { path: None } => {
            format!("{} — sent, verified ({})", t.name, format::size(t.total))
        }
        TransferState::Failed(why) => format!("{} — failed: {why}", t.name),
    }
}

/// The buttons a transfer's row offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buttons {
    /// Cancel (a running person-to-person transfer).
    pub cancel: bool,
    /// Open the file, and show it in its folder (received and verified).
    pub open: bool,
    /// Take the row off the panel (finished or failed).
    pub dismiss: bool,
}

/// Which buttons `t`'s row offers.
pub fn buttons(t: &Transfer) -> Buttons {
    let offer = matches!(t.key, lanchat_client::TransferKey::Offer(_));
    Buttons {
        cancel: t.active() && offer,
        open: matches!(t.state, TransferState::Verified { path: Some(_) }),
        dismiss: !t.active(),
    }
}

/// Where a received file was saved (the row's tooltip).
pub fn saved_at(t: &Transfer) -> Option<String> {
    match &t.state {
        TransferState::Verified { path: Some(p) } => Some(format!("Saved to {}", p.display())),
        _ => None,
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
        assert_eq!(
            buttons(&t),
            Buttons {
                cancel: true,
                open: false,
                dismiss: false
            }
        );
        t.state = TransferState::Failed("denied".into());
        assert_eq!(describe(&t), "a.bin — failed: denied");
        assert!(buttons(&t).dismiss && !buttons(&t).open);
        t.state = TransferState::Verified {
            path: Some("/tmp/a.bin".into()),
        };
        assert_eq!(describe(&t), "a.bin — received, verified (1.0 MiB)");
        assert!(buttons(&t).open && buttons(&t).dismiss && !buttons(&t).cancel);
        assert_eq!(saved_at(&t).unwrap(), "Saved to /tmp/a.bin");
    }
}
