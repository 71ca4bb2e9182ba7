//! What the sidebar lists say: rooms, direct conversations, people and the current room's
//! members, one [`Line`] each, in the order shown.
//!
//! Presence is given as a [`PresenceStatus`], not drawn: the widgets choose its colour and
//! mark.
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
    let members_heading = match model.current_room() {
        Some(_) => format!("Members ({})", members.len()),
        None => "Members".to_string(),
    };
    Lists {
        rooms: conversations(model, false),
        direct: conversations(model, true),
        people: people(model),
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

/// The rooms (`direct` false) or the direct conversations, in the model's order.
fn conversations(model: &Model, direct: bool) -> Vec<Line> {
    model
        .convs
        .iter()
        .filter(|(conv, _)| matches!(conv, ConvRef::Dm(_)) == direct)
        .map(|(conv, c)| {
            let mut text = conv.to_string();
            text.push_str(&unread_suffix(c.unread(), c.muted));
            if c.muted {
                text.push_str("  [muted]");
            }
            let status = match conv {
                ConvRef::Room(_) => None,
                ConvRef::Dm(user) => Some(
                    model
                        .people
                        .get(&user.to_lowercase())
                        .map_or(PresenceStatus::Offline, |u| u.status),
                ),
            };
            Line {
                row: Row::Conv(conv.clone()),
                text,
                bold: c.unread() > 0 && !c.muted,
                status,
            }
        })
        .collect()
}

fn people(model: &Model) -> Vec<Line> {
    let mut people: Vec<_> = model.people.values().collect();
    people.sort_by_key(|u| (u.status as u8, u.display.to_lowercase()));
    people
        .into_iter()
        .map(|u| {
            let me = model.username() == Some(u.username.as_str());
            let name = format::person(&u.username, &u.display);
            let you = if me { " — you" } else { "" };
            let away = match u.status {
                PresenceStatus::Away => " — away",
                PresenceStatus::Offline => " — offline",
                PresenceStatus::Online => "",
            };
            Line {
                row: Row::User(u.username.clone()),
                text: format!("{name}{away}{you}"),
                bold: false,
                status: Some(u.status),
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
            Line {
                row: Row::User(m.username.clone()),
                text: format!("{}{role}", format::person(&m.username, &m.display)),
                bold: false,
                status: Some(m.status),
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
            ..Conversation::default()
        };
        model.convs.insert(ConvRef::Room("dev".into()), unread);
        model
            .convs
            .insert(ConvRef::Room("general".into()), Conversation::default());
        model
            .convs
            .insert(ConvRef::Dm("bob".into()), Conversation::default());
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
        assert_eq!(texts(&lists.rooms), ["#dev (3)", "#general"]);
        assert!(lists.rooms[0].bold && !lists.rooms[1].bold);
        assert_eq!(texts(&lists.direct), ["@bob"]);
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
    }
}
