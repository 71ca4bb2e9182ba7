//! The left column: rooms, direct conversations and people; and the member list on the
//! right. Each list is a `HoldBrowser` whose lines are rebuilt from the model; the rows
//! behind the lines are kept here (browser line data would need unsafe code).
use fltk::browser::HoldBrowser;
use fltk::prelude::*;
use fltk::{app, frame::Frame};
use lanchat_net::protocol::{ConvRef, PresenceStatus, Role};

use crate::message::{Click, List, Message};
use lanchat_ui_model::model::Model;

/// One list: a heading and a browser.
#[derive(Debug)]
pub struct ListView {
    /// Heading above the list.
    pub heading: Frame,
    /// The list.
    pub browser: HoldBrowser,
    lines: Vec<String>,
}

impl ListView {
    /// Creates heading and list (inside the current group); clicks send
    /// [`Message::Picked`].
    pub fn new(title: &str, list: List, sender: app::Sender<Message>) -> Self {
        let mut heading = Frame::default().with_label(title);
        heading.set_align(fltk::enums::Align::Left | fltk::enums::Align::Inside);
        heading.set_label_font(fltk::enums::Font::HelveticaBold);
        let mut browser = HoldBrowser::default();
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
        }
    }

    /// Replaces the lines (only when they changed, to keep the scroll position) and selects
    /// `selected` (0-based) if given.
    fn set(&mut self, lines: Vec<String>, selected: Option<usize>) {
        if lines != self.lines {
            self.browser.clear();
            for line in &lines {
                self.browser.add(line);
            }
            self.lines = lines;
        }
        match selected {
            Some(i) => self.browser.select(i as i32 + 1),
            None => {
                for i in self.browser.selected_items() {
                    self.browser.deselect(i);
                }
            }
        }
    }
}

/// `@b` bold, `@i` italic, `@C<n>` colour: fltk browser format codes. `@.` ends the codes so
/// a name starting with `@` shows as typed.
fn line(codes: &str, text: &str) -> String {
    format!("{codes}@.{text}")
}

fn status_mark(status: PresenceStatus) -> (&'static str, &'static str) {
    match status {
        PresenceStatus::Online => ("@C60", "● "),
        PresenceStatus::Away => ("@C94", "◐ "),
        PresenceStatus::Offline => ("@C39", "○ "),
    }
}

fn unread_suffix(unread: u64, muted: bool) -> String {
    match (unread, muted) {
        (0, _) => String::new(),
        (_, true) => " (new)".into(),
        (n, false) => format!(" ({n})"),
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
    room_rows: Vec<ConvRef>,
    direct_rows: Vec<ConvRef>,
    people_rows: Vec<String>,
    member_rows: Vec<String>,
}

impl Sidebar {
    /// The lists, created by the main window's layout.
    pub fn new(rooms: ListView, direct: ListView, people: ListView, members: ListView) -> Self {
        Sidebar {
            rooms,
            direct,
            people,
            members,
            room_rows: Vec::new(),
            direct_rows: Vec::new(),
            people_rows: Vec::new(),
            member_rows: Vec::new(),
        }
    }

    /// What a clicked line stands for: a conversation to show, or a username.
    pub fn row(&self, list: List, line: i32) -> Option<Row> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        match list {
            List::Rooms => self.room_rows.get(i).cloned().map(Row::Conv),
            List::Direct => self.direct_rows.get(i).cloned().map(Row::Conv),
            List::People => self.people_rows.get(i).cloned().map(Row::User),
            List::Members => self.member_rows.get(i).cloned().map(Row::User),
        }
    }

    /// Rebuilds the lists from the model.
    pub fn render(&mut self, model: &Model) {
        let mut rooms = Vec::new();
        let mut direct = Vec::new();
        self.room_rows.clear();
        self.direct_rows.clear();
        for (conv, c) in &model.convs {
            let mut codes = String::new();
            if c.unread() > 0 && !c.muted {
                codes.push_str("@b");
            }
            let mut text = conv.to_string();
            text.push_str(&unread_suffix(c.unread(), c.muted));
            if c.muted {
                text.push_str("  [muted]");
            }
            match conv {
                ConvRef::Room(_) => {
                    rooms.push(line(&codes, &text));
                    self.room_rows.push(conv.clone());
                }
                ConvRef::Dm(user) => {
                    let status = model
                        .people
                        .get(&user.to_lowercase())
                        .map_or(PresenceStatus::Offline, |u| u.status);
                    let (color, mark) = status_mark(status);
                    direct.push(line(&format!("{codes}{color}"), &format!("{mark}{text}")));
                    self.direct_rows.push(conv.clone());
                }
            }
        }
        let pick = |rows: &[ConvRef]| rows.iter().position(|r| *r == model.current);
        let (room_sel, direct_sel) = (pick(&self.room_rows), pick(&self.direct_rows));
        self.rooms.set(rooms, room_sel);
        self.direct.set(direct, direct_sel);

        // People: online first, then away, then offline; by name within each.
        let mut people: Vec<_> = model.people.values().collect();
        people.sort_by_key(|u| (u.status as u8, u.display.to_lowercase()));
        self.people_rows = people.iter().map(|u| u.username.clone()).collect();
        let lines = people
            .iter()
            .map(|u| {
                let (color, mark) = status_mark(u.status);
                let me = model.username() == Some(u.username.as_str());
                let name = if u.display == u.username {
                    u.username.clone()
                } else {
                    format!("{} ({})", u.display, u.username)
                };
                let you = if me { " — you" } else { "" };
                let away = match u.status {
                    PresenceStatus::Away => " — away",
                    PresenceStatus::Offline => " — offline",
                    PresenceStatus::Online => "",
                };
                line(color, &format!("{mark}{name}{away}{you}"))
            })
            .collect();
        self.people.set(lines, None);

        // Members of the current room, owner and admins first.
        let mut members: Vec<_> = model
            .current_room()
            .and_then(|r| model.members.get(r))
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        members.sort_by_key(|m| (std::cmp::Reverse(m.role), m.username.to_lowercase()));
        self.member_rows = members.iter().map(|m| m.username.clone()).collect();
        let lines = members
            .iter()
            .map(|m| {
                let (color, mark) = status_mark(m.status);
                let role = match m.role {
                    Role::Owner => " (owner)",
                    Role::Admin => " (admin)",
                    Role::Member => "",
                };
                line(color, &format!("{mark}{}{role}", m.display))
            })
            .collect();
        self.members.set(lines, None);
        let title = match model.current_room() {
            Some(_) => format!("Members ({})", self.member_rows.len()),
            None => "Members".to_string(),
        };
        self.members.heading.set_label(&title);
    }
}

/// A clicked sidebar line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Show this conversation.
    Conv(ConvRef),
    /// A person (open the direct conversation, or act on a member).
    User(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_markers() {
        assert_eq!(unread_suffix(0, false), "");
        assert_eq!(unread_suffix(3, false), " (3)");
        assert_eq!(unread_suffix(3, true), " (new)");
    }
}
