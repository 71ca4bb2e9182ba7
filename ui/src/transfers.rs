//! The transfers panel under the conversation: one row per transfer (the newest few) with
//! its name and state on the left, a thin progress bar under it while it runs, and its
//! buttons on the right: Cancel while running; Open, Show in folder and Dismiss once done;
//! Dismiss after a failure, whose reason is shown in red.
use fltk::app;
use fltk::button::Button;
use fltk::enums::{Align, FrameType};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::misc::Progress;
use fltk::prelude::*;
use lanchat_client::TransferKey;
use lanchat_ui_model::model::{Transfer, TransferState};
use lanchat_ui_model::transfers::{buttons, describe, saved_at};

use crate::message::Message;
use crate::theme;

/// How many transfers the panel shows (the newest).
const SHOWN: usize = 4;
/// Height of one row.
pub const ROW: i32 = 34;

struct Row {
    row: Flex,
    text: Frame,
    bar: Progress,
    cancel: Button,
    open: Button,
    folder: Button,
    dismiss: Button,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

/// The panel.
#[derive(Debug)]
pub struct TransferStrip {
    /// Its column (the main window sizes it by [`TransferStrip::height`]).
    pub column: Flex,
    rows: Vec<Row>,
    keys: Vec<Option<TransferKey>>,
}

fn small_button(label: &str) -> Button {
    let mut b = Button::default().with_label(label);
    b.set_label_size(theme::SMALL);
    b
}

impl TransferStrip {
    /// Creates the panel (inside the current group) with empty rows.
    pub fn new() -> Self {
        let mut column = Flex::default().column();
        column.set_pad(2);
        let mut rows = Vec::new();
        for _ in 0..SHOWN {
            let mut row = Flex::default().row();
            row.set_pad(4);
            let mut left = Flex::default().column();
            left.set_pad(2);
            let mut text = Frame::default();
            text.set_align(Align::Left | Align::Inside | Align::Clip);
            text.set_label_size(theme::SMALL + 1);
            let mut bar = Progress::default();
            bar.set_frame(FrameType::FlatBox);
            bar.set_minimum(0.0);
            bar.set_maximum(1.0);
            left.fixed(&bar, 6);
            left.end();
            let cancel = small_button("Cancel");
            row.fixed(&cancel, 64);
            let open = small_button("Open");
            row.fixed(&open, 56);
            let folder = small_button("Show in folder");
            row.fixed(&folder, 104);
            let dismiss = small_button("Dismiss");
            row.fixed(&dismiss, 68);
            row.end();
            row.hide();
            rows.push(Row {
                row,
                text,
                bar,
                cancel,
                open,
                folder,
                dismiss,
            });
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
    pub fn render(&mut self, transfers: &[Transfer], sender: app::Sender<Message>, dark: bool) {
        let p = theme::palette(dark);
        let newest: Vec<&Transfer> = transfers.iter().rev().take(SHOWN).collect();
        for (i, r) in self.rows.iter_mut().enumerate() {
            let Some(t) = newest.get(i) else {
                r.row.hide();
                self.keys[i] = None;
                continue;
            };
            let fraction = if t.total == 0 {
                0.0
            } else {
                t.done as f64 / t.total as f64
            };
            // fltk reads `@` in a label as a symbol code.
            r.text.set_label(&describe(t).replace('@', "@@"));
            let failed = matches!(t.state, TransferState::Failed(_));
            r.text
                .set_label_color(if failed { p.danger } else { p.text });
            if let Some(tip) = saved_at(t) {
                r.text.set_tooltip(&tip);
            }
            r.bar.set_value(fraction);
            r.bar.set_color(p.window);
            r.bar.set_selection_color(p.accent);
            show(&mut r.bar, t.active());
            let b = buttons(t);
            let key = t.key;
            r.cancel
                .set_callback(move |_| sender.send(Message::Cancel(key)));
            r.open
                .set_callback(move |_| sender.send(Message::OpenFile(key)));
            r.folder
                .set_callback(move |_| sender.send(Message::ShowInFolder(key)));
            r.dismiss
                .set_callback(move |_| sender.send(Message::Dismiss(key)));
            show(&mut r.cancel, b.cancel);
            show(&mut r.open, b.open);
            show(&mut r.folder, b.open);
            show(&mut r.dismiss, b.dismiss);
            r.row.show();
            r.row.layout();
            self.keys[i] = Some(key);
        }
        self.column.layout();
    }

    /// The open and dismiss buttons' places (for tests): the first row's, in window
    /// coordinates, once it is a received file.
    pub fn first_row_buttons(&self) -> Option<((i32, i32), (i32, i32))> {
        let r = self.rows.first()?;
        if !r.row.visible() || !r.open.visible() {
            return None;
        }
        let centre = |b: &Button| (b.x() + b.w() / 2, b.y() + b.h() / 2);
        Some((centre(&r.open), centre(&r.dismiss)))
    }
}

fn show(w: &mut impl WidgetExt, visible: bool) {
    if visible && !w.visible() {
        w.show();
    } else if !visible && w.visible() {
        w.hide();
    }
}
