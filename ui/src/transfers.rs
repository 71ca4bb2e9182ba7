//! The transfer strip under the conversation: one progress bar per transfer with rate and
//! time left, a Cancel button while it runs, and the verified/failed outcome after.
use fltk::app;
use fltk::button::Button;
use fltk::enums::Color;
use fltk::group::Flex;
use fltk::misc::Progress;
use fltk::prelude::*;
use lanchat_client::TransferKey;

use crate::message::Message;
use lanchat_ui_model::format;
use lanchat_ui_model::model::{Transfer, TransferState};

/// How many transfers the strip shows (the newest).
const SHOWN: usize = 3;
/// Height of one row.
pub const ROW: i32 = 26;

/// The strip.
#[derive(Debug)]
pub struct TransferStrip {
    /// Its column (the main window sizes it by [`TransferStrip::height`]).
    pub column: Flex,
    rows: Vec<(Progress, Button)>,
    keys: Vec<Option<TransferKey>>,
}

impl TransferStrip {
    /// Creates the strip (inside the current group) with empty rows.
    pub fn new() -> Self {
        let mut column = Flex::default().column();
        column.set_pad(2);
        let mut rows = Vec::new();
        for _ in 0..SHOWN {
            let mut row = Flex::default().row();
            let mut bar = Progress::default();
            bar.set_selection_color(Color::from_rgb(0x60, 0xa0, 0xe0));
            bar.set_minimum(0.0);
            bar.set_maximum(1.0);
            let cancel = Button::default().with_label("Cancel");
            row.fixed(&cancel, 70);
            row.end();
            row.hide();
            rows.push((bar, cancel));
        }
        column.end();
        TransferStrip {
            column,
            rows,
            keys: vec![None; SHOWN],
        }
    }

    /// Rows in use.
    pub fn height(&self) -> i32 {
        let n = self.keys.iter().filter(|k| k.is_some()).count() as i32;
        n * (ROW + 2)
    }

    /// Shows the newest transfers.
    pub fn render(&mut self, transfers: &[Transfer], sender: app::Sender<Message>) {
        let newest: Vec<&Transfer> = transfers.iter().rev().take(SHOWN).collect();
        for (i, (bar, cancel)) in self.rows.iter_mut().enumerate() {
            let Some(mut row) = bar.parent() else {
                continue;
            };
            match newest.get(i) {
                Some(t) => {
                    let fraction = if t.total == 0 {
                        0.0
                    } else {
                        t.done as f64 / t.total as f64
                    };
                    bar.set_value(fraction);
                    bar.set_label(&describe(t));
                    let color = match t.state {
                        TransferState::Failed(_) => Color::from_rgb(0xe0, 0x80, 0x80),
                        TransferState::Verified { .. } => Color::from_rgb(0x80, 0xc0, 0x80),
                        _ => Color::from_rgb(0x60, 0xa0, 0xe0),
                    };
                    bar.set_selection_color(color);
                    let key = t.key;
                    cancel.set_callback(move |_| sender.send(Message::Cancel(key)));
                    if t.active() && matches!(key, TransferKey::Offer(_)) {
                        cancel.show();
                    } else {
                        cancel.hide();
                    }
                    row.show();
                    self.keys[i] = Some(key);
                }
                None => {
                    row.hide();
                    self.keys[i] = None;
                }
            }
        }
        self.column.layout();
    }
}

/// "plan.pdf — 40% of 1.2 MB, 3.1 MB/s, 2 s left" and the like.
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
