//! What the sidebar lists say: rooms, direct conversations, people and the current room's
//! members, one [`Line`] each, in the order shown.
//!
//! Presence is given as a [`PresenceStatus`], not drawn: the widgets choose its colour and
//! mark. While disconnected nobody's presence is known: lines say so ([`Line::stale`])
//! instead of showing everyone as they were. Rooms: `#general` first, then rooms with
//! mentions, then rooms with unread messages, then by name. The filter box narrows every
//! list.
use std::cmp::Reverse;

use lanchat_net::protocol::{ConvRef, PresenceStatus, Role};

use crate::format;
use crate::model::Model;

/// What a line stands for when it is clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Show this conversation.
    Conv(ConvRef),
    /// A person (open the direct conversation, or act on a member).
    User(String),
}

/// One line of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What it stands for.
    pub row: Row,
    /// The words shown.
    pub text: String,
    /// Shown in bold: something unread that is not muted.
    pub bold: bool,
    /// The person's presence, where the line is about a person.
    pub status: Option<PresenceStatus>,
    /// A person whose presence is not known now (disconnected): drawn as unknown.
    pub stale: bool,
}

/// All the lists, built from the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    /// Rooms this user is in.
    pub rooms: Vec<Line>,
    /// Direct conversations.
    pub direct: Vec<Line>,
    /// Everyone: online first, then away, then offline; by name within each.
    pub people: Vec<Line>,
    /// Members of the current room: owner and admins first.
    pub members: Vec<Line>,
    /// The heading over the members, with their count when a room is shown.
    pub members_heading: String,
}

/// The lists as the model has them now.
pub fn lists(model: &Model) -> Lists {
    let members = members(model);
    let members_heading = match &model.current {
        ConvRef::Room(_) => format!("Members ({})", members.len()),
        ConvRef::Dm(user) => format!(
            "Direct conversation with {}",
            model.display_name(user, None)
        ),
    };
    let filter = model.filter.trim().to_lowercase();
    let keep = |lines: Vec<Line>| -> Vec<Line> {
        lines
            .into_iter()
            .filter(|l| filter.is_empty() || l.text.to_lowercase().contains(&filter))
            .collect()
    };
    Lists {
        rooms: keep(conversations(model, false)),
        direct: keep(conversations(model, true)),
        people: keep(people(model)),
        members,
        members_heading,
    }
}

/// " (3)" unread, " (new)" when muted (a count there would nag), nothing when all is read.
pub fn unread_suffix(unread: u64, muted: bool) -> String {
    match (unread, muted) {
        (0, _) => String::new(),
        (_, true) => " (new)".into(),
        (n, false) => format!(" ({n})"),
    }
}

/// The rooms (`direct` false) or the direct conversations: `#general` first, then those with
/// mentions, then unread, then by name. Direct conversations closed by the person, or never
/// written in, are left out (unless shown now).
fn conversations(model: &Model, direct: bool) -> Vec<Line> {
    let mut convs: Vec<_> = model
        .convs
        .iter()
        .filter(|(conv, _)| matches!(conv, ConvRef::Dm(_)) == direct)
        .filter(|(conv, c)| {
            let used = c.last_seq > 0 || !c.messages.is_empty() || !c.pending.is_empty();
            !direct || **conv == model.current || (used && !c.hidden)
        })
        .collect();
    convs.sort_by_key(|(conv, c)| {
        let pinned = **conv != crate::model::general();
        let quiet = c.muted || c.unread() == 0;
        (pinned, c.mentions == 0, quiet, conv.to_string())
    });
    convs
        .into_iter()
        .map(|(conv, c)| {
            let mut text = match conv {
                ConvRef::Room(_) => conv.to_string(),
                ConvRef::Dm(user) => model.display_name(user, None),
            };
            // A mention calls even in a muted conversation.
            if c.mentions > 0 {
                text.push_str(" @");
            }
            text.push_str(&unread_suffix(c.unread(), c.muted));
            if c.private {
                text.push_str("  [private]");
            }
            if c.archived {
                text.push_str("  [archived]");
            }
            if c.muted {
                text.push_str("  [muted]");
            }
            let (status, stale) = match conv {
                ConvRef::Room(_) => (None, false),
                ConvRef::Dm(user) => person_status(model, user),
            };
            Line {
                row: Row::Conv(conv.clone()),
                text,
                bold: (c.unread() > 0 && !c.muted) || c.mentions > 0,
                status,
                stale,
            }
        })
        .collect()
}

/// A person's presence as shown: the last known one marked stale while disconnected.
fn person_status(model: &Model, username: &str) -> (Option<PresenceStatus>, bool) {
    match model.presence(username) {
        Some(s) => (Some(s), false),
        None => (Some(PresenceStatus::Offline), true),
    }
}

fn people(model: &Model) -> Vec<Line> {
    let stale = model.connection.is_some();
    let mut people: Vec<_> = model.people.values().collect();
    people.sort_by_key(|u| (u.status as u8, u.display.to_lowercase()));
    people
        .into_iter()
        .map(|u| {
            let me = model.username() == Some(u.username.as_str());
            let name = format::person(&u.username, &u.display);
            let you = if me { " — you" } else { "" };
            let away = match u.status {
                _ if stale => "",
                PresenceStatus::Away => " — away",
                PresenceStatus::Offline => " — offline",
                PresenceStatus::Online => "",
            };
            let (status, stale) = person_status(model, &u.username);
            Line {
                row: Row::User(u.username.clone()),
                text: format!("{name}{away}{you}"),
                bold: false,
                status,
                stale,
            }
        })
        .collect()
}

fn members(model: &Model) -> Vec<Line> {
    let mut members: Vec<_> = model
        .current_room()
        .and_then(|r| model.members.get(r))
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    members.sort_by_key(|m| (Reverse(m.role), m.username.to_lowercase()));
    members
        .into_iter()
        .map(|m| {
            let role = match m.role {
                Role::Owner => " (owner)",
                Role::Admin => " (admin)",
                Role::Member => "",
            };
            let stale = model.connection.is_some();
            Line {
                row: Row::User(m.username.clone()),
                text: format!(
                    "{}{role}",
                    model.display_name(&m.username, Some(&m.display))
                ),
                bold: false,
                status: Some(m.status),
                stale,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{logged_in, user};
    use crate::model::Conversation;
    use lanchat_net::protocol::MemberInfo;

    #[test]
    fn unread_markers() {
        assert_eq!(unread_suffix(0, false), "");
        assert_eq!(unread_suffix(3, false), " (3)");
        assert_eq!(unread_suffix(3, true), " (new)");
    }

    #[test]
    fn lines_in_the_order_and_words_shown() {
        let mut model = logged_in(user("alice", "alice", PresenceStatus::Online));
        let unread = Conversation {
            last_seq: 3,
            unread_count: 3,
            ..Conversation::default()
        };
        model.convs.insert(ConvRef::Room("dev".into()), unread);
        model
            .convs
            .insert(ConvRef::Room("general".into()), Conversation::default());
        let written = Conversation {
            last_seq: 1,
            read_seq: 1,
            ..Conversation::default()
        };
        model.convs.insert(ConvRef::Dm("bob".into()), written);
        model
            .convs
            .insert(ConvRef::Dm("carol".into()), Conversation::default());
        for u in [
            user("carol", "Carol", PresenceStatus::Offline),
            user("bob", "Bob", PresenceStatus::Away),
        ] {
            model.people.insert(u.username.clone(), u);
        }
        model.members.insert(
            "general".into(),
            vec![
                MemberInfo {
                    username: "bob".into(),
                    display: "Bob".into(),
                    role: Role::Member,
                    status: PresenceStatus::Away,
                },
                MemberInfo {
                    username: "alice".into(),
                    display: "alice".into(),
                    role: Role::Owner,
                    status: PresenceStatus::Online,
                },
            ],
        );
        let lists = lists(&model);
        let texts = |lines: &[Line]| lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&lists.rooms), ["#general", "#dev (3)"]);
        assert!(lists.rooms[1].bold && !lists.rooms[0].bold);
        // Display names; a conversation never written in (carol) is not listed.
        assert_eq!(texts(&lists.direct), ["Bob (@bob)"]);
        assert_eq!(lists.direct[0].status, Some(PresenceStatus::Away));
        assert_eq!(
            texts(&lists.people),
            [
                "alice — you",
                "Bob (@bob) — away",
                "Carol (@carol) — offline"
            ]
        );
        assert_eq!(texts(&lists.members), ["alice (owner)", "Bob (@bob)"]);
        assert_eq!(lists.members[1].row, Row::User("bob".into()));
        assert_eq!(lists.members_heading, "Members (2)");
        assert!(lists.people.iter().all(|l| !l.stale));

        // Disconnected: nobody's presence is known.
        model.connection = Some(crate::model::Down {
            reason: "gone".into(),
            retry_in_ms: 1000,
        });
        let lists = super::lists(&model);
        assert!(lists.people.iter().all(|l| l.stale));
        assert!(lists.direct.iter().all(|l| l.stale));
        assert_eq!(texts(&lists.people)[1], "Bob (@bob)");

        // The filter narrows the lists.
        model.filter = "DE".into();
        assert_eq!(texts(&super::lists(&model).rooms), ["#dev (3)"]);
    }

    #[test]
    fn rooms_with_mentions_then_unread_come_first_after_general() {
        let mut model = logged_in(user("alice", "alice", PresenceStatus::Online));
        for (name, last, mentions) in [("a", 0, 0), ("b", 2, 0), ("c", 1, 1), ("general", 0, 0)] {
            model.convs.insert(
                ConvRef::Room(name.into()),
                Conversation {
                    last_seq: last,
                    unread_count: last,
                    mentions,
                    ..Conversation::default()
                },
            );
        }
        let lists = lists(&model);
        let texts: Vec<_> = lists.rooms.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["#general", "#c @ (1)", "#b (2)", "#a"]);
    }
}
