//! The transfer strip under the conversation: one progress bar per transfer with rate and
//! time left, a Cancel button while it runs, and the verified/failed outcome after.
use fltk::app;
use fltk::button::Button;
use fltk::enums::Color;
use fltk::group::Flex;
use fltk::misc::Progress;
use fltk::prelude::*;
use lanchat_client::TransferKey;
use lanchat_ui_model::model::{Transfer, TransferState};
use lanchat_ui_model::transfers::describe;

use crate::message::Message;

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
