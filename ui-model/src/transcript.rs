//! The conversation pane's text: a conversation as one string, with a [`Look`] for every
//! byte and the ranges that can be clicked (or hovered).
//!
//! Messages are grouped by sender: a group starts with a coloured initials avatar, the
//! sender's current display name (own messages in their own colour) and the local time (the
//! full date and time on hover); every line of its messages is indented under the name, so
//! continuation lines of a multi-line message line up with the first. A heading marks each
//! new day, a "new messages" line the read position when the conversation was opened, and
//! mentions of this user (as the coordinator recognised them) are highlighted. A shared file
//! is a card to click; messages still being sent come last, then who is typing.
//!
//! A reply starts with a quote of what it answers; an edited message says so, a deleted one
//! says only that; reactions follow with their counts; in a direct conversation the last of
//! one's own messages the other person has read is marked "seen". A right-click on a message
//! opens what can be done with it (reply, react, edit, delete).
use std::time::Instant;

use chrono::{Local, TimeZone};
use lanchat_net::protocol::{ChatMessage, MessageKind};

use crate::format;
use crate::markup::{self, Style};
use crate::model::{mention_ranges, Conversation, Model};

/// Avatar colours the widgets provide (a person's colour is picked from their username).
pub const AVATAR_COLOURS: u8 = 8;
/// The indentation under a group's heading, in the monospaced indent look: as wide as the
/// avatar and the space after it.
pub const INDENT: &str = "     ";
/// Messages of one sender closer than this stay in one group.
const GROUP_MS: i64 = 5 * 60 * 1000;

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
    /// Initials on a coloured background (the colour's number, below [`AVATAR_COLOURS`]).
    Avatar(u8),
    /// This user's own name over their messages.
    Own,
    /// A mention of this user.
    Mention,
    /// The "new messages" line.
    Divider,
    /// Indentation (monospaced, so it matches the avatar's width).
    Indent,
    /// A searched-for term in a result.
    Hit,
    /// A placeholder (an empty conversation's words).
    Hint,
    /// The quote of the message a reply answers.
    Quote,
    /// Reactions and their counts.
    Reaction,
}

/// A clickable (or hoverable) part of the conversation.
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
    /// A time: hovering shows the full date and time.
    Time(String),
    /// An answer to a file offered in this conversation.
    Offer {
        /// The offer.
        id: u64,
        /// What to answer.
        answer: OfferAnswer,
    },
    /// A message of the shown conversation (its whole text): a right-click offers what can be
    /// done with it (reply, react, edit, delete).
    Message {
        /// Its seq.
        seq: u64,
    },
    /// A search result: show this message in its conversation.
    Jump {
        /// The conversation.
        conv: lanchat_net::protocol::ConvRef,
        /// The message.
        seq: u64,
    },
}

/// The answers an offer card offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferAnswer {
    /// Save it in the downloads folder.
    Accept,
    /// Ask where to save it.
    SaveAs,
    /// Refuse it.
    Deny,
}

impl Target {
    /// Clicking it does something (a time only shows more on hover; a message answers a
    /// right-click).
    pub fn clickable(&self) -> bool {
        !matches!(self, Target::Time(_) | Target::Message { .. })
    }
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
    /// Where each message starts: seq, byte offset (to scroll to a search result).
    pub anchors: Vec<(u64, usize)>,
    /// Where the "new messages" line starts, if there is one.
    pub divider: Option<usize>,
}

/// Two letters for an avatar: the initials of the first two words of the name, else its
/// first two letters.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let letters: String = match words.as_slice() {
        [a, b, ..] => a.chars().take(1).chain(b.chars().take(1)).collect(),
        [a] => a.chars().filter(|c| c.is_alphanumeric()).take(2).collect(),
        [] => "?".into(),
    };
    letters.to_uppercase()
}

/// A person's avatar colour: the same for the same username everywhere.
pub fn avatar_colour(username: &str) -> u8 {
    let hash = username
        .to_lowercase()
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    (hash % u32::from(AVATAR_COLOURS)) as u8
}

pub(crate) fn local(ts_ms: i64, pattern: &str) -> String {
    Local
        .timestamp_millis_opt(ts_ms)
        .single()
        .map(|t| t.format(pattern).to_string())
        .unwrap_or_default()
}

impl Page {
    /// A page of one hint (an empty conversation).
    pub fn hint(text: &str) -> Page {
        let mut page = Page::default();
        page.push(&format!("\n{text}\n"), Look::Hint);
        page
    }

    pub(crate) fn push(&mut self, text: &str, look: Look) {
        self.text.push_str(text);
        self.looks.extend(std::iter::repeat_n(look, text.len()));
    }

    pub(crate) fn push_target(&mut self, text: &str, look: Look, target: Target) {
        let start = self.text.len();
        self.push(text, look);
        self.targets.push((start, self.text.len(), target));
    }

    /// Message text: continuation lines indented, mentions of `me` highlighted.
    fn body(&mut self, text: &str, look: Look, me: Option<&str>) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.push("\n", Look::Plain);
                self.push(INDENT, Look::Indent);
            }
            let mut at = 0;
            for (start, end) in me.into_iter().flat_map(|me| mention_ranges(line, me)) {
                self.push(&line[at..start], look);
                self.push(&line[start..end], Look::Mention);
                at = end;
            }
            self.push(&line[at..], look);
        }
    }

    fn heading(&mut self, m: &ChatMessage, model: &Model) {
        let name = model.display_name(&m.sender, Some(&m.sender_display));
        let shown = model.display_of(&m.sender, Some(&m.sender_display));
        let avatar = format!(" {:<2} ", initials(&shown));
        self.push(&avatar, Look::Avatar(avatar_colour(&m.sender)));
        self.push(" ", Look::Indent);
        let own = model
            .username()
            .is_some_and(|me| me.eq_ignore_ascii_case(&m.sender));
        self.push(&name, if own { Look::Own } else { Look::Sender });
        self.push("  ", Look::Plain);
        let full = local(m.ts_ms, "%A %e %B %Y, %H:%M:%S");
        self.push_target(&local(m.ts_ms, "%H:%M"), Look::Time, Target::Time(full));
        self.push("\n", Look::Plain);
    }

    fn message(&mut self, m: &ChatMessage, me: Option<&str>, seen: bool) {
        self.anchors.push((m.seq, self.text.len()));
        self.push(INDENT, Look::Indent);
        let start = self.text.len();
        if let Some(q) = &m.reply_to {
            let quoted = if q.deleted {
                "message deleted".to_string()
            } else {
                one_line(&q.text, 60)
            };
            self.push(&format!("↪ {}: {quoted}\n", q.sender), Look::Quote);
            self.push(INDENT, Look::Indent);
        }
        // Only a mention the coordinator recognised stands out.
        let me = me.filter(|me| m.mentions_user(me));
        let shown = matches!(m.kind, MessageKind::Text | MessageKind::File);
        if m.deleted && shown {
            self.push("message deleted", Look::System);
            self.push("\n", Look::Plain);
            return;
        }
        match (&m.kind, &m.file) {
            (MessageKind::System, _) => self.push(&format!("— {}", m.text), Look::System),
            (MessageKind::File, Some(f)) => {
                self.push("shared ", Look::Plain);
                let card = format!("[file] {} ({})", f.name, format::size(f.size));
                let target = Target::File {
                    id: f.id,
                    name: f.name.clone(),
                };
                self.push_target(&card, Look::File, target);
                self.push("  click to download", Look::Time);
            }
            _ => {
                for span in markup::parse(&m.text) {
                    match span.style {
                        Style::Plain => self.body(&span.text, Look::Plain, me),
                        Style::Bold => self.body(&span.text, Look::Bold, me),
                        Style::Italic => self.body(&span.text, Look::Italic, me),
                        Style::Code => self.body(&span.text, Look::Code, None),
                        Style::Link => {
                            let target = Target::Link(span.text.clone());
                            self.push_target(&span.text, Look::Link, target);
                        }
                    }
                }
                if m.edited {
                    self.push(" (edited)", Look::Time);
                }
            }
        }
        if !m.reactions.is_empty() {
            let each: Vec<String> = m
                .reactions
                .iter()
                .map(|r| format!("{} {}", r.emoji, r.count))
                .collect();
            self.push(&format!("   [{}]", each.join("] [")), Look::Reaction);
        }
        if seen {
            self.push("   ✓ seen", Look::Time);
        }
        if shown {
            let end = self.text.len();
            self.targets
                .push((start, end, Target::Message { seq: m.seq }));
        }
        self.push("\n", Look::Plain);
    }
}

/// `text` on one line, cut after `chars` characters.
fn one_line(text: &str, chars: usize) -> String {
    let line = text.replace(['\n', '\r'], " ");
    match line.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// The last of `me`'s messages the other person of a direct conversation has read.
fn seen_mark(c: &Conversation, me: Option<&str>) -> Option<u64> {
    let read = c.peer_read?;
    let me = me?;
    c.messages
        .range(..=read)
        .rev()
        .find(|(_, m)| m.sender.eq_ignore_ascii_case(me) && m.kind != MessageKind::System)
        .map(|(seq, _)| *seq)
}

/// The file offers of the shown direct conversation: answered ones as a record, open ones
/// as cards with their answers.
fn offers(page: &mut Page, model: &Model) {
    let lanchat_net::protocol::ConvRef::Dm(peer) = &model.current else {
        return;
    };
    let from_peer = |o: &lanchat_net::protocol::FileOffer| o.from.eq_ignore_ascii_case(peer);
    for (o, outcome) in model.offer_log.iter().filter(|(o, _)| from_peer(o)) {
        page.push(INDENT, Look::Indent);
        let line = format!("— {} offered: {outcome}\n", format::offer_summary(o));
        page.push(&line, Look::System);
    }
    for o in model.offers.iter().filter(|o| from_peer(o)) {
        page.push(INDENT, Look::Indent);
        let name = model.display_name(&o.from, None);
        page.push(&format!("{name} offers "), Look::Plain);
        let card = format!("[file] {}", format::offer_summary(o));
        page.push(&card, Look::File);
        page.push("   ", Look::Plain);
        for (label, answer) in [
            ("Accept", OfferAnswer::Accept),
            ("Save as…", OfferAnswer::SaveAs),
            ("Deny", OfferAnswer::Deny),
        ] {
            page.push_target(label, Look::Link, Target::Offer { id: o.id, answer });
            page.push("   ", Look::Plain);
        }
        page.push("\n", Look::Plain);
    }
}

/// Lays out the loaded messages of `c`, oldest first, with "older messages" on top while
/// there is older history to load. Names come from `model` (the same everywhere).
pub fn page(c: &Conversation, model: &Model) -> Page {
    page_at(c, model, Instant::now())
}

/// [`page`] as it is at `now` (who is typing).
pub fn page_at(c: &Conversation, model: &Model, now: Instant) -> Page {
    let me = model.username();
    let seen = seen_mark(c, me);
    let mut page = Page::default();
    if !c.history_done && c.messages.keys().next() != Some(&1) {
        page.push_target(
            "▲ older messages (scroll up or click)\n",
            Look::Link,
            Target::Older,
        );
    }
    let mut day = None;
    let mut last: Option<&ChatMessage> = None;
    for m in c.messages.values() {
        let this_day = local(m.ts_ms, "%A %e %B %Y");
        let new_day = Some(&this_day) != day.as_ref();
        if new_day {
            page.push(&format!("——— {this_day} ———\n"), Look::Time);
            day = Some(this_day);
        }
        let divider = c.divider.is_some_and(|d| d > 0 && m.seq > d)
            && last.is_some_and(|l| c.divider.is_some_and(|d| l.seq <= d));
        if divider || (c.divider == Some(0) && last.is_none()) {
            page.divider = Some(page.text.len());
            page.push("──────────── new messages ────────────\n", Look::Divider);
        }
        let grouped = !new_day
            && !divider
            && m.kind == MessageKind::Text
            && last.is_some_and(|l| {
                l.kind == MessageKind::Text
                    && l.sender.eq_ignore_ascii_case(&m.sender)
                    && m.ts_ms - l.ts_ms < GROUP_MS
            });
        if !grouped {
            page.heading(m, model);
        }
        page.message(m, me, seen == Some(m.seq));
        last = Some(m);
    }
    offers(&mut page, model);
    for p in &c.pending {
        page.push(INDENT, Look::Indent);
        page.push("sending…  ", Look::Pending);
        page.body(&p.text, Look::Pending, None);
        page.push("\n", Look::Pending);
    }
    let typing: Vec<String> = c
        .typing_at(now)
        .into_iter()
        .map(|u| model.display_name(u, None))
        .collect();
    match typing.as_slice() {
        [] => {}
        [one] => page.push(&format!("{INDENT}{one} is typing…\n"), Look::Time),
        [first, rest @ ..] => page.push(
            &format!("{INDENT}{first} and {} more are typing…\n", rest.len()),
            Look::Time,
        ),
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, logged_in, user};
    use crate::model::Pending;
    use lanchat_net::protocol::{ConvRef, MsgId, PresenceStatus};

    fn model() -> Model {
        logged_in(user("alice", "Alice", PresenceStatus::Online))
    }

    fn done(messages: Vec<ChatMessage>) -> Conversation {
        let mut c = Conversation {
            history_done: true,
            ..Conversation::default()
        };
        for m in messages {
            c.last_seq = c.last_seq.max(m.seq);
            c.messages.insert(m.seq, m);
        }
        c
    }

    fn general() -> ConvRef {
        ConvRef::Room("general".into())
    }

    #[test]
    fn links_are_targets_and_every_byte_has_a_look() {
        let m = fixtures::text(general(), 1, "bob", "see https://x.org **now**");
        let mut c = done(vec![m]);
        c.pending.push(Pending {
            id: MsgId::random(),
            text: "typed".into(),
        });
        let page = page(&c, &model());
        assert_eq!(page.looks.len(), page.text.len());
        let links: Vec<_> = page.targets.iter().filter(|t| t.2.clickable()).collect();
        let [(start, end, target)] = links.as_slice() else {
            panic!("one link expected: {:?}", page.targets);
        };
        assert_eq!(&page.text[*start..*end], "https://x.org");
        assert_eq!(*target, Target::Link("https://x.org".into()));
        assert!(page.looks[*start..*end].iter().all(|l| *l == Look::Link));
        // The sender as every front end names them, on the group's heading.
        assert!(page.text.contains(" Bob (@bob)  "), "{:?}", page.text);
        let now = page.text.find("now").unwrap();
        assert_eq!(page.looks[now], Look::Bold);
        assert!(page.text.ends_with("sending…  typed\n"));
    }

    #[test]
    fn older_messages_on_top_until_history_is_done() {
        let c = Conversation::default();
        let older = page(&c, &model());
        assert!(
            matches!(older.targets.as_slice(), [(0, end, Target::Older)] if *end == older.text.len())
        );
        assert!(page(&done(vec![]), &model()).text.is_empty());
    }

    #[test]
    fn messages_group_by_sender_with_an_avatar_and_the_time_on_hover() {
        let mut second = fixtures::text(general(), 2, "bob", "second");
        second.ts_ms += 60_000;
        let mut later = fixtures::text(general(), 3, "bob", "much later");
        later.ts_ms += 3_600_000;
        let c = done(vec![
            fixtures::text(general(), 1, "bob", "first"),
            second,
            later,
            fixtures::text(general(), 4, "alice", "mine"),
        ]);
        let p = page(&c, &model());
        // Two headings for bob (an hour apart), one for alice: three avatars.
        let avatars = p.text.matches(" BO ").count();
        assert_eq!(avatars, 2, "{}", p.text);
        let at = p.text.find(" BO ").unwrap();
        assert!(matches!(p.looks[at], Look::Avatar(_)));
        assert!(
            p.text.contains(&format!("\n{INDENT}second\n")),
            "{}",
            p.text
        );
        let own = p.text.find("Alice").unwrap();
        assert_eq!(p.looks[own], Look::Own, "own messages stand out");
        let times = p
            .targets
            .iter()
            .filter(|t| matches!(t.2, Target::Time(_)))
            .count();
        assert_eq!(times, 3);
        assert_eq!(p.anchors.len(), 4);
    }

    #[test]
    fn continuation_lines_are_indented_under_the_name() {
        let c = done(vec![fixtures::text(general(), 1, "bob", "one\ntwo")]);
        let p = page(&c, &model());
        assert!(
            p.text.contains(&format!("{INDENT}one\n{INDENT}two\n")),
            "{}",
            p.text
        );
    }

    #[test]
    fn the_new_messages_line_sits_at_the_read_position_and_mentions_stand_out() {
        let mut hey = fixtures::text(general(), 2, "bob", "hey @alice, look");
        hey.mentions = vec!["alice".into()];
        let mut c = done(vec![fixtures::text(general(), 1, "bob", "old"), hey]);
        c.divider = Some(1);
        let p = page(&c, &model());
        let divider = p.divider.expect("a divider");
        assert!(divider > p.text.find("old").unwrap());
        assert!(divider < p.text.find("hey").unwrap());
        let mention = p.text.find("@alice").unwrap();
        assert!(p.looks[mention..mention + 6]
            .iter()
            .all(|l| *l == Look::Mention));
        assert_eq!(p.looks[p.text.find("look").unwrap()], Look::Plain);
    }

    /// A reply's quote, "(edited)", a deleted message, reactions, "seen" under the last of
    /// one's messages the other person read, who is typing, and each message's own range.
    #[test]
    fn what_a_conversation_can_show_beyond_text() {
        use lanchat_net::protocol::{Quote, Reaction, TYPING_EXPIRY_MS};
        use std::time::Duration;
        let dm = ConvRef::Dm("bob".into());
        let mut asked = fixtures::text(dm.clone(), 1, "alice", "lunch?");
        asked.reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 2,
        }];
        let mut answer = fixtures::text(dm.clone(), 2, "bob", "yes");
        answer.reply_to = Some(Box::new(Quote {
            seq: 1,
            sender: "alice".into(),
            text: "lunch?".into(),
            deleted: false,
        }));
        answer.edited = true;
        let mut gone = fixtures::text(dm.clone(), 3, "alice", "");
        gone.deleted = true;
        let mut c = done(vec![asked, answer, gone]);
        c.peer_read = Some(2);
        let now = Instant::now();
        c.typing.push(("bob".into(), now));
        let m = model();
        let p = page_at(&c, &m, now);
        assert_eq!(p.looks.len(), p.text.len());
        assert!(
            p.text.contains("lunch?   [👍 2]   ✓ seen\n"),
            "bob read up to 2: alice's last message up to there is seen: {}",
            p.text
        );
        assert!(p
            .text
            .contains(&format!("{INDENT}↪ alice: lunch?\n{INDENT}yes (edited)\n")));
        assert!(
            p.text.contains(&format!("{INDENT}message deleted\n")),
            "{}",
            p.text
        );
        assert!(p.text.ends_with("bob is typing…\n"), "{}", p.text);
        let menus: Vec<&Target> = p
            .targets
            .iter()
            .map(|t| &t.2)
            .filter(|t| matches!(t, Target::Message { .. }))
            .collect();
        assert_eq!(
            menus,
            [&Target::Message { seq: 1 }, &Target::Message { seq: 2 }],
            "a deleted message offers nothing"
        );
        let (start, end, _) = p
            .targets
            .iter()
            .find(|t| t.2 == Target::Message { seq: 2 })
            .unwrap();
        assert_eq!(
            &p.text[*start..*end],
            format!("↪ alice: lunch?\n{INDENT}yes (edited)")
        );
        let later = now + Duration::from_millis(TYPING_EXPIRY_MS);
        assert!(!page_at(&c, &m, later).text.contains("typing"));
        // A mention the coordinator did not recognise does not stand out.
        let c = done(vec![fixtures::text(general(), 1, "bob", "hi @alice")]);
        let p = page(&c, &m);
        assert_eq!(p.looks[p.text.find("@alice").unwrap()], Look::Plain);
    }

    #[test]
    fn names_follow_the_current_display_name() {
        let mut m = model();
        m.people
            .insert("bob".into(), user("bob", "Robert", PresenceStatus::Online));
        // History carries the name at the time of sending; the page shows today's.
        let c = done(vec![fixtures::text(general(), 1, "bob", "hi")]);
        let p = page(&c, &m);
        assert!(p.text.contains("Robert"), "{}", p.text);
        assert!(!p.text.contains("Bob"));
    }

    #[test]
    fn initials_and_colours() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("bob"), "BO");
        assert_eq!(initials(""), "?");
        assert_eq!(avatar_colour("Bob"), avatar_colour("bob"));
        assert!(avatar_colour("carol") < AVATAR_COLOURS);
    }
}
