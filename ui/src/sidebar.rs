//! The left column: rooms, direct conversations and people; and the member list on the
//! right. Each list is a `HoldBrowser` whose lines are rebuilt from
//! [`lanchat_ui_model::sidebar`]'s lines; the rows behind the lines are kept here (browser
//! line data would need unsafe code).
use fltk::browser::HoldBrowser;
use fltk::prelude::*;
use fltk::{app, frame::Frame};
use lanchat_net::protocol::PresenceStatus;
use lanchat_ui_model::model::Model;
use lanchat_ui_model::sidebar::{self, Line, Row};

use crate::message::{Click, List, Message};
use crate::theme;

/// One list: a heading and a browser.
#[derive(Debug)]
pub struct ListView {
    /// Heading above the list.
    pub heading: Frame,
    /// The list.
    pub browser: HoldBrowser,
    lines: Vec<String>,
    rows: Vec<Row>,
}

impl ListView {
    /// Creates heading and list (inside the current group); clicks send
    /// [`Message::Picked`].
    pub fn new(title: &str, list: List, sender: app::Sender<Message>) -> Self {
        let mut heading = Frame::default().with_label(title);
        heading.set_align(fltk::enums::Align::Left | fltk::enums::Align::Inside);
        heading.set_label_font(fltk::enums::Font::HelveticaBold);
        heading.set_label_size(theme::SMALL);
        let mut browser = HoldBrowser::default();
        browser.set_frame(fltk::enums::FrameType::FlatBox);
        // Every click counts (also on the selected line: double-click, right-click).
        browser.set_trigger(fltk::enums::CallbackTrigger::ReleaseAlways);
        browser.set_callback(move |b| {
            if b.value() > 0 {
                let how = if app::event_button() == 3 {
                    Click::Right
                } else if app::event_clicks() {
                    Click::Double
                } else {
                    Click::Single
                };
                sender.send(Message::Picked(list, b.value(), how));
            }
        });
        ListView {
            heading,
            browser,
            lines: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Replaces the lines (only when they changed, to keep the scroll position) and selects
    /// the one standing for `selected`, if any.
    fn set(&mut self, lines: Vec<Line>, selected: Option<&Row>) {
        let (rows, lines): (Vec<Row>, Vec<String>) = lines
            .into_iter()
            .map(|l| (l.row.clone(), browser_line(&l)))
            .unzip();
        if lines != self.lines {
            self.browser.clear();
            for line in &lines {
                self.browser.add(line);
            }
            self.lines = lines;
        }
        self.rows = rows;
        match selected.and_then(|s| self.rows.iter().position(|r| r == s)) {
            Some(i) => self.browser.select(i as i32 + 1),
            None => {
                for i in self.browser.selected_items() {
                    self.browser.deselect(i);
                }
            }
        }
    }
}

/// A line in fltk browser format: `@b` bold, `@C<n>` colour, `@.` ends the codes so a name
/// starting with `@` shows as typed. A person's presence is a coloured mark before the text;
/// unknown presence (disconnected) a grey question mark.
fn browser_line(line: &Line) -> String {
    let mut codes = String::new();
    if line.bold {
        codes.push_str("@b");
    }
    let mut text = String::new();
    if let Some(status) = line.status {
        let (index, mark) = status_mark(status, line.stale);
        codes.push_str(&format!("@C{index}"));
        text.push_str(mark);
    }
    text.push_str(&line.text);
    format!("{codes}@.{text}")
}

fn status_mark(status: PresenceStatus, stale: bool) -> (u8, &'static str) {
    let [online, away, offline] = theme::PRESENCE_INDEX;
    match status {
        _ if stale => (offline, "? "),
        PresenceStatus::Online => (online, "● "),
        PresenceStatus::Away => (away, "◐ "),
        PresenceStatus::Offline => (offline, "○ "),
    }
}

/// Everything on the left (and the member list).
#[derive(Debug)]
pub struct Sidebar {
    /// Rooms this user is in.
    pub rooms: ListView,
    /// Direct conversations.
    pub direct: ListView,
    /// Everyone.
    pub people: ListView,
    /// Members of the current room.
    pub members: ListView,
}

impl Sidebar {
    /// The lists, created by the main window's layout.
    pub fn new(rooms: ListView, direct: ListView, people: ListView, members: ListView) -> Self {
        Sidebar {
            rooms,
            direct,
            people,
            members,
        }
    }

    /// What a clicked line stands for: a conversation to show, or a username.
    pub fn row(&self, list: List, line: i32) -> Option<Row> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        let view = match list {
            List::Rooms => &self.rooms,
            List::Direct => &self.direct,
            List::People => &self.people,
            List::Members => &self.members,
        };
        view.rows.get(i).cloned()
    }

    /// Rebuilds the lists from the model.
    pub fn render(&mut self, model: &Model, _dark: bool) {
        let lists = sidebar::lists(model);
        let current = Row::Conv(model.current.clone());
        self.rooms.set(lists.rooms, Some(&current));
        self.direct.set(lists.direct, Some(&current));
        self.people.set(lists.people, None);
        self.members.set(lists.members, None);
        self.members.heading.set_label(&lists.members_heading);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::protocol::ConvRef;

    #[test]
    fn presence_and_unread_in_browser_codes() {
        let line = Line {
            row: Row::Conv(ConvRef::Dm("bob".into())),
            text: "@bob (2)".into(),
            bold: true,
            status: Some(PresenceStatus::Away),
            stale: false,
        };
        assert_eq!(browser_line(&line), "@b@C201@.◐ @bob (2)");
        let stale = Line {
            stale: true,
            ..line
        };
        assert_eq!(browser_line(&stale), "@b@C202@.? @bob (2)");
    }
}
