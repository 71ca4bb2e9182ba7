//! The conversation pane's text: a conversation as one string, with a [`Look`] for every
//! byte and the ranges that can be clicked.
//!
//! Messages are laid out with their local time, a heading where the day changes, the
//! sender, and the text split by [`markup`]; a shared file is a card to
//! click; messages still being sent come last.
use chrono::{Local, TimeZone};
use lanchat_net::protocol::{ChatMessage, MessageKind};

use crate::format;
use crate::markup::{self, Style};
use crate::model::Conversation;

/// How a piece of text is shown; the widgets map each to a font and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Message text.
    Plain,
    /// `**bold**` in a message.
    Bold,
    /// `*italics*` in a message.
    Italic,
    /// `` `code` `` in a message.
    Code,
    /// A link (also "older messages").
    Link,
    /// Who wrote it.
    Sender,
    /// Times, day headings and hints.
    Time,
    /// A system message (joins, topic changes, ...).
    System,
    /// A shared file's card.
    File,
    /// A message not yet stored by the coordinator.
    Pending,
}

/// A clickable part of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Open in the browser.
    Link(String),
    /// Download a shared file.
    File {
        /// Shared file id.
        id: u64,
        /// Its name.
        name: String,
    },
    /// Load older messages.
    Older,
}

/// A conversation laid out as text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Page {
    /// The text.
    pub text: String,
    /// The look of each byte of `text` (so it always has `text.len()` entries).
    pub looks: Vec<Look>,
    /// Clickable byte ranges of `text`: start, end (exclusive), what it is.
    pub targets: Vec<(usize, usize, Target)>,
}

impl Page {
    fn push(&mut self, text: &str, look: Look) {
        self.text.push_str(text);
        self.looks.extend(std::iter::repeat_n(look, text.len()));
    }

    fn push_target(&mut self, text: &str, look: Look, target: Target) {
        let start = self.text.len();
        self.push(text, look);
        self.targets.push((start, self.text.len(), target));
    }

    fn message(&mut self, m: &ChatMessage) {
        let time = Local
            .timestamp_millis_opt(m.ts_ms)
            .single()
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default();
        self.push(&format!("{time}  "), Look::Time);
        match (&m.kind, &m.file) {
            (MessageKind::System, _) => self.push(&format!("— {}", m.text), Look::System),
            (MessageKind::File, Some(f)) => {
                self.push(&format::person(&m.sender, &m.sender_display), Look::Sender);
                self.push(" shared ", Look::Plain);
                let card = format!("[file] {} ({})", f.name, format::size(f.size));
                let target = Target::File {
                    id: f.id,
                    name: f.name.clone(),
                };
                self.push_target(&card, Look::File, target);
                self.push("  click to download", Look::Time);
            }
            _ => {
                self.push(&format::person(&m.sender, &m.sender_display), Look::Sender);
                self.push(": ", Look::Plain);
                for span in markup::parse(&m.text) {
                    match span.style {
                        Style::Plain => self.push(&span.text, Look::Plain),
                        Style::Bold => self.push(&span.text, Look::Bold),
                        Style::Italic => self.push(&span.text, Look::Italic),
                        Style::Code => self.push(&span.text, Look::Code),
                        Style::Link => {
                            let target = Target::Link(span.text.clone());
                            self.push_target(&span.text, Look::Link, target);
                        }
                    }
                }
            }
        }
        self.push("\n", Look::Plain);
    }
}

/// Lays out the loaded messages of `c`, oldest first, with "older messages" on top while
/// there is older history to load.
pub fn page(c: &Conversation) -> Page {
    let mut page = Page::default();
    if !c.history_done && c.messages.keys().next() != Some(&1) {
        page.push_target(
            "▲ older messages (scroll up or click)\n",
            Look::Link,
            Target::Older,
        );
    }
    let mut day = None;
    for m in c.messages.values() {
        let this_day = Local
            .timestamp_millis_opt(m.ts_ms)
            .single()
            .map(|t| t.format("%A %e %B %Y").to_string());
        if this_day != day {
            if let Some(d) = &this_day {
                page.push(&format!("——— {d} ———\n"), Look::Time);
            }
            day = this_day;
        }
        page.message(m);
    }
    for p in &c.pending {
        page.push(&format!("sending…  {}\n", p.text), Look::Pending);
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::model::Pending;
    use lanchat_net::protocol::{ConvRef, MsgId};

    #[test]
    fn links_are_targets_and_every_byte_has_a_look() {
        let mut c = Conversation {
            history_done: true,
            ..Conversation::default()
        };
        let general = ConvRef::Room("general".into());
        let m = fixtures::text(general, 1, "bob", "see https://x.org **now**");
        c.messages.insert(1, m);
        c.pending.push(Pending {
            id: MsgId::random(),
            text: "typed".into(),
        });
        let page = page(&c);
        assert_eq!(page.looks.len(), page.text.len());
        let [(start, end, target)] = page.targets.as_slice() else {
            panic!("one target expected: {:?}", page.targets);
        };
        assert_eq!(&page.text[*start..*end], "https://x.org");
        assert_eq!(*target, Target::Link("https://x.org".into()));
        assert!(page.looks[*start..*end].iter().all(|l| *l == Look::Link));
        assert!(page.text.contains("Bob (@bob): see "), "{:?}", page.text);
        let now = page.text.find("now").unwrap();
        assert_eq!(page.looks[now], Look::Bold);
        assert!(page.text.ends_with("sending…  typed\n"));
    }

    #[test]
    fn older_messages_on_top_until_history_is_done() {
        let mut c = Conversation::default();
        let older = page(&c);
        assert!(
            matches!(older.targets.as_slice(), [(0, end, Target::Older)] if *end == older.text.len())
        );
        c.history_done = true;
        assert!(page(&c).text.is_empty());
    }
}
