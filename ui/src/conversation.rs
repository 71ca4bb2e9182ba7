//! The centre pane: the current conversation as styled text.
//!
//! A read-only `TextDisplay` showing [`lanchat_ui_model::transcript`]'s page, with a
//! parallel style buffer (one style letter per byte of text). Clickable ranges (links, shared
//! files, "older messages") are kept beside the buffer; a click maps the mouse position to a
//! byte offset and sends [`Message::Clicked`].
//! New messages scroll into view unless the person has scrolled up to read.
use std::cell::RefCell;
use std::rc::Rc;

use fltk::app;
use fltk::enums::{Color, Cursor, Event as FlEvent, Font};
use fltk::prelude::*;
use fltk::text::{PositionType, StyleTableEntryExt, TextAttr, TextBuffer, TextDisplay, WrapMode};
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::model::Conversation;
use lanchat_ui_model::trace;
use lanchat_ui_model::transcript::{self, Look, Target};

use crate::message::Message;

/// The style letter of a look: the index into [`styles`] as a letter from `A`.
fn letter(look: Look) -> char {
    match look {
        Look::Plain => 'A',
        Look::Bold => 'B',
        Look::Italic => 'C',
        Look::Code => 'D',
        Look::Link => 'E',
        Look::Sender => 'F',
        Look::Time => 'G',
        Look::System => 'H',
        Look::File => 'I',
        Look::Pending => 'J',
    }
}

fn styles(size: i32) -> Vec<StyleTableEntryExt> {
    let e = |color, font, attr, bgcolor| StyleTableEntryExt {
        color,
        font,
        size,
        attr,
        bgcolor,
    };
    let none = TextAttr::None;
    let bg = Color::Background2;
    vec![
        e(Color::Foreground, Font::Helvetica, none, bg),
        e(Color::Foreground, Font::HelveticaBold, none, bg),
        e(Color::Foreground, Font::HelveticaItalic, none, bg),
        e(
            Color::from_rgb(0xa0, 0x20, 0x40),
            Font::Courier,
            TextAttr::BgColor,
            Color::from_rgb(0xee, 0xee, 0xee),
        ),
        e(
            Color::from_rgb(0x10, 0x50, 0xc0),
            Font::Helvetica,
            TextAttr::Underline,
            bg,
        ),
        e(
            Color::from_rgb(0x20, 0x40, 0x80),
            Font::HelveticaBold,
            none,
            bg,
        ),
        e(Color::from_rgb(0x80, 0x80, 0x80), Font::Helvetica, none, bg),
        e(
            Color::from_rgb(0x70, 0x70, 0x70),
            Font::HelveticaItalic,
            none,
            bg,
        ),
        e(
            Color::from_rgb(0x10, 0x70, 0x30),
            Font::HelveticaBold,
            TextAttr::Underline,
            bg,
        ),
        e(
            Color::from_rgb(0xa0, 0xa0, 0xa0),
            Font::HelveticaItalic,
            none,
            bg,
        ),
    ]
}

/// What is on screen, to skip redrawing when nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    conv: ConvRef,
    first: Option<u64>,
    last: Option<u64>,
    count: usize,
    pending: usize,
    history_done: bool,
}

/// The conversation pane.
#[derive(Debug)]
pub struct ConversationView {
    display: TextDisplay,
    text: TextBuffer,
    style: TextBuffer,
    targets: Rc<RefCell<Vec<(usize, usize, Target)>>>,
    shown: Option<Shown>,
}

impl ConversationView {
    /// Creates the pane (inside the current group).
    pub fn new(sender: app::Sender<Message>) -> Self {
        let mut display = TextDisplay::default();
        let text = TextBuffer::default();
        let style = TextBuffer::default();
        display.set_buffer(text.clone());
        display.set_highlight_data_ext(style.clone(), styles(app::font_size()));
        display.wrap_mode(WrapMode::AtBounds, 0);
        display.set_text_size(app::font_size());
        let targets: Rc<RefCell<Vec<(usize, usize, Target)>>> = Rc::default();
        let hits = targets.clone();
        let hit = move |d: &TextDisplay| -> Option<Target> {
            let pos = d.xy_to_position(app::event_x(), app::event_y(), PositionType::Character);
            let pos = usize::try_from(pos).ok()?;
            hits.borrow()
                .iter()
                .find(|(start, end, _)| (*start..*end).contains(&pos))
                .map(|(_, _, t)| t.clone())
        };
        display.handle(move |d, ev| match ev {
            FlEvent::Push if app::event_button() == 1 => match hit(d) {
                Some(target) => {
                    sender.send(Message::Clicked(target));
                    true
                }
                None => false,
            },
            FlEvent::Move => {
                let cursor = if hit(d).is_some() {
                    Cursor::Hand
                } else {
                    Cursor::Default
                };
                if let Some(mut w) = d.window() {
                    w.set_cursor(cursor);
                }
                false
            }
            FlEvent::Leave => {
                if let Some(mut w) = d.window() {
                    w.set_cursor(Cursor::Default);
                }
                false
            }
            FlEvent::MouseWheel => {
                // Scrolling up past the first line asks for older history.
                if app::event_dy_value() < 0 && d.scroll_row() <= 1 {
                    sender.send(Message::LoadOlder);
                }
                false
            }
            _ => false,
        });
        ConversationView {
            display,
            text,
            style,
            targets,
            shown: None,
        }
    }

    /// Shows `conv`; does nothing when what is on screen is already up to date.
    pub fn render(&mut self, current: &ConvRef, conv: Option<&Conversation>) {
        let empty = Conversation::default();
        let c = conv.unwrap_or(&empty);
        let shown = Shown {
            conv: current.clone(),
            first: c.messages.keys().next().copied(),
            last: c.messages.keys().next_back().copied(),
            count: c.messages.len(),
            pending: c.pending.len(),
            history_done: c.history_done,
        };
        if self.shown.as_ref() == Some(&shown) {
            return;
        }
        let same_conv = self.shown.as_ref().is_some_and(|s| s.conv == *current);
        let new_last = self.shown.as_ref().and_then(|s| s.last);
        let follow = !same_conv || self.at_bottom();
        let first_line = self.display.scroll_row();
        let old_len = self.text.length();
        let page = transcript::page(c);
        self.text.set_text(&page.text);
        let letters: String = page.looks.iter().map(|l| letter(*l)).collect();
        self.style.set_text(&letters);
        *self.targets.borrow_mut() = page.targets;
        if follow {
            let end = self.text.length();
            self.display.set_insert_position(end);
            self.display.show_insert_position();
        } else if same_conv && shown.first != self.shown.as_ref().and_then(|s| s.first) {
            // Older history came in above: keep the person's place in what they were reading.
            let added = self.text.length() - old_len;
            let lines = self.display.count_lines(0, added.max(0), true);
            self.display.scroll(first_line + lines, 0);
        }
        self.display.redraw();
        if trace::enabled() {
            app::flush();
            for m in c.messages.values() {
                if !same_conv || new_last.is_none_or(|last| m.seq > last) {
                    trace::line(&format!("shown {} {}: {}", m.conv, m.sender, m.text));
                }
            }
        }
        self.shown = Some(shown);
    }

    /// The end of the text is on screen (the person has not scrolled up).
    fn at_bottom(&self) -> bool {
        let end = self.text.length();
        // position_to_xy gives (0, 0) for a position outside the visible area.
        end == 0 || self.display.position_to_xy(end) != (0, 0)
    }
}
