//! A read-only styled text pane showing a [`Page`]: the conversation and the search results.
//!
//! A `TextDisplay` with a parallel style buffer (one style letter per byte of text), styles
//! from the theme's palette. Target ranges are kept beside the buffer: a click on a
//! clickable one sends [`Message::Clicked`], a right-click on a message sends it as
//! [`Target::Message`] (what can be done with it), hovering a time shows the full date in a
//! tooltip, and the cursor becomes a hand over what can be clicked.
use std::cell::RefCell;
use std::rc::Rc;

use fltk::app;
use fltk::enums::{Cursor, Event as FlEvent, Font, FrameType};
use fltk::prelude::*;
use fltk::text::{PositionType, StyleTableEntryExt, TextAttr, TextBuffer, TextDisplay, WrapMode};
use lanchat_ui_model::dropped;
use lanchat_ui_model::transcript::{Look, Page, Target, AVATAR_COLOURS};

use crate::message::Message;
use crate::theme::{self, Palette};

/// The style letter of a look: the index into [`styles`] as a letter from `A`.
fn letter(look: Look) -> char {
    let i = match look {
        Look::Plain => 0,
        Look::Bold => 1,
        Look::Italic => 2,
        Look::Code => 3,
        Look::Link => 4,
        Look::Sender => 5,
        Look::Time => 6,
        Look::System => 7,
        Look::File => 8,
        Look::Pending => 9,
        Look::Own => 10,
        Look::Mention => 11,
        Look::Divider => 12,
        Look::Indent => 13,
        Look::Hit => 14,
        Look::Hint => 15,
        Look::Avatar(n) => 16 + u32::from(n % AVATAR_COLOURS),
        Look::Quote => 16 + u32::from(AVATAR_COLOURS),
        Look::Reaction => 17 + u32::from(AVATAR_COLOURS),
    };
    char::from_u32('A' as u32 + i).unwrap_or('A')
}

fn styles(p: &Palette) -> Vec<StyleTableEntryExt> {
    let size = theme::FONT;
    let e = |color, font, attr, bgcolor| StyleTableEntryExt {
        color,
        font,
        size,
        attr,
        bgcolor,
    };
    let none = TextAttr::None;
    let bg = p.surface;
    let mut v = vec![
        e(p.text, Font::Helvetica, none, bg),
        e(p.text, Font::HelveticaBold, none, bg),
        e(p.text, Font::HelveticaItalic, none, bg),
        e(p.code, Font::Courier, TextAttr::BgColor, p.code_bg),
        e(p.link, Font::Helvetica, TextAttr::Underline, bg),
        e(p.sender, Font::HelveticaBold, none, bg),
        e(p.muted, Font::Helvetica, none, bg),
        e(p.muted, Font::HelveticaItalic, none, bg),
        e(p.online, Font::HelveticaBold, TextAttr::Underline, bg),
        e(p.muted, Font::HelveticaItalic, none, bg),
        e(p.own, Font::HelveticaBold, none, bg),
        e(p.text, Font::HelveticaBold, TextAttr::BgColor, p.mention_bg),
        e(p.divider, Font::HelveticaBold, none, bg),
        e(p.text, Font::Courier, none, bg),
        e(p.text, Font::HelveticaBold, TextAttr::BgColor, p.mention_bg),
        e(p.muted, Font::HelveticaItalic, none, bg),
    ];
    for c in p.avatars {
        v.push(e(p.on_accent, Font::CourierBold, TextAttr::BgColor, c));
    }
    // After the avatars: Quote, Reaction.
    v.push(e(p.muted, Font::HelveticaItalic, none, bg));
    v.push(e(p.link, Font::Helvetica, none, bg));
    v
}

/// The first target under the pointer that `wanted` accepts.
fn under_pointer(
    targets: &RefCell<Vec<(usize, usize, Target)>>,
    d: &TextDisplay,
    wanted: fn(&Target) -> bool,
) -> Option<Target> {
    let pos = d.xy_to_position(app::event_x(), app::event_y(), PositionType::Character);
    let pos = usize::try_from(pos).ok()?;
    targets
        .borrow()
        .iter()
        .find(|(start, end, t)| (*start..*end).contains(&pos) && wanted(t))
        .map(|(_, _, t)| t.clone())
}

/// A styled, clickable text pane.
#[derive(Debug)]
pub struct StyledView {
    /// The display widget.
    pub display: TextDisplay,
    /// The text.
    pub text: TextBuffer,
    style: TextBuffer,
    targets: Rc<RefCell<Vec<(usize, usize, Target)>>>,
}

impl StyledView {
    /// Creates the pane (inside the current group); with `drops`, files dropped on it are
    /// sent as [`Message::Dropped`].
    pub fn new(sender: app::Sender<Message>, dark: bool, drops: bool) -> Self {
        let mut display = TextDisplay::default();
        display.set_frame(FrameType::FlatBox);
        let text = TextBuffer::default();
        let style = TextBuffer::default();
        display.set_buffer(text.clone());
        display.wrap_mode(WrapMode::AtBounds, 0);
        display.set_text_size(theme::FONT);
        display.set_linenumber_width(0);
        let targets: Rc<RefCell<Vec<(usize, usize, Target)>>> = Rc::default();
        let hits = targets.clone();
        let hit = move |d: &TextDisplay| under_pointer(&hits, d, |_| true);
        let messages = targets.clone();
        let message_hit = move |d: &TextDisplay| {
            under_pointer(&messages, d, |t| matches!(t, Target::Message { .. }))
        };
        // Drag and drop: accept the drag; the dropped text then arrives as a paste.
        let mut dropping = false;
        display.handle(move |d, ev| match ev {
            FlEvent::DndEnter | FlEvent::DndDrag | FlEvent::DndLeave if drops => true,
            FlEvent::DndRelease if drops => {
                dropping = true;
                true
            }
            FlEvent::Paste if dropping => {
                dropping = false;
                let paths = dropped::paths(&app::event_text());
                if !paths.is_empty() {
                    sender.send(Message::Dropped(paths));
                }
                true
            }
            FlEvent::Push if app::event_button() == 1 => match hit(d) {
                Some(target) if target.clickable() => {
                    sender.send(Message::Clicked(target));
                    true
                }
                _ => false,
            },
            FlEvent::Push if app::event_button() == 3 => match message_hit(d) {
                Some(target) => {
                    sender.send(Message::Clicked(target));
                    true
                }
                None => false,
            },
            FlEvent::Move => {
                let target = hit(d);
                let cursor = match &target {
                    Some(t) if t.clickable() => Cursor::Hand,
                    _ => Cursor::Default,
                };
                let tip = match &target {
                    Some(Target::Time(full)) => full.clone(),
                    _ => String::new(),
                };
                if d.tooltip().unwrap_or_default() != tip {
                    d.set_tooltip(&tip);
                }
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
        let mut view = StyledView {
            display,
            text,
            style,
            targets,
        };
        view.set_theme(dark);
        view
    }

    /// Takes the colours of a theme variant.
    pub fn set_theme(&mut self, dark: bool) {
        let p = theme::palette(dark);
        self.display.set_color(p.surface);
        self.display
            .set_highlight_data_ext(self.style.clone(), styles(&p));
        self.display.redraw();
    }

    /// Shows `page`.
    pub fn set(&mut self, page: Page) {
        self.text.set_text(&page.text);
        let letters: String = page.looks.iter().map(|l| letter(*l)).collect();
        self.style.set_text(&letters);
        *self.targets.borrow_mut() = page.targets;
        self.display.redraw();
    }

    /// Where the first target matching `wanted` is on screen (window coordinates, a few
    /// pixels into its first character), if it is visible. For the GUI tests' clicks.
    pub fn target_at(&self, wanted: impl Fn(&Target) -> bool) -> Option<(i32, i32)> {
        let targets = self.targets.borrow();
        let (start, _, _) = targets.iter().find(|(_, _, t)| wanted(t))?;
        let (x, y) = self.display.position_to_xy(*start as i32);
        ((x, y) != (0, 0)).then_some((x + 6, y + theme::FONT / 2))
    }

    /// Scrolls so that byte `pos` is near the top.
    pub fn scroll_to(&mut self, pos: usize) {
        let line = self.display.count_lines(0, pos as i32, true);
        self.display.scroll(line.max(0) + 1, 0);
    }

    /// Scrolls to the end.
    pub fn scroll_to_end(&mut self) {
        let end = self.text.length();
        self.display.set_insert_position(end);
        self.display.show_insert_position();
    }

    /// The end of the text is on screen (the person has not scrolled up).
    pub fn at_bottom(&self) -> bool {
        let end = self.text.length();
        // position_to_xy gives (0, 0) for a position outside the visible area.
        end == 0 || self.display.position_to_xy(end) != (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_look_has_a_style() {
        let n = styles(&theme::LIGHT).len() as u32;
        for look in [Look::Hint, Look::Avatar(AVATAR_COLOURS - 1), Look::Plain] {
            let i = letter(look) as u32 - 'A' as u32;
            assert!(i < n, "{look:?}");
        }
    }
}
