//! What the dialogs say and offer: the choices in the pickers (each a label shown and the
//! value it stands for), the question about an incoming file, and the search results.
use std::path::Path;

use lanchat_net::protocol::{ChatMessage, ConvRef, FileOffer, PresenceStatus};

use crate::format;
use crate::model::Model;

/// How many search results the results dialog lists.
const SEARCH_SHOWN: usize = 20;

/// The members of `room` this user can kick or promote: everyone but themselves.
pub fn members_to_moderate(model: &Model, room: &str) -> Vec<(String, String)> {
    let me = model.username().unwrap_or_default().to_lowercase();
    model
        .members
        .get(room)
        .into_iter()
        .flatten()
        .filter(|m| m.username.to_lowercase() != me)
        .map(|m| {
            let who = format::person(&m.username, &m.display);
            (format!("{who} ({:?})", m.role), m.username.clone())
        })
        .collect()
}

/// Everyone else, to start a direct conversation with; offline people are marked.
pub fn people_to_message(model: &Model) -> Vec<(String, String)> {
    model
        .people
        .values()
        .filter(|u| Some(u.username.as_str()) != model.username())
        .map(|u| {
            let s = if u.status == PresenceStatus::Offline {
                " (offline)"
            } else {
                ""
            };
            (
                format!("{}{s}", format::person(&u.username, &u.display)),
                u.username.clone(),
            )
        })
        .collect()
}

/// The rooms of the last room list that this user is not in.
pub fn rooms_to_join(model: &Model) -> Vec<(String, String)> {
    model
        .directory
        .iter()
        .filter(|r| !model.convs.contains_key(&ConvRef::Room(r.name.clone())))
        .map(|r| {
            let plural = if r.members == 1 { "" } else { "s" };
            (
                format!("#{}  ({} member{plural})  {}", r.name, r.members, r.topic),
                r.name.clone(),
            )
        })
        .collect()
}

/// The quick switcher's choices (Ctrl+K): the rooms this user is in, then everyone else to
/// talk to; the value is `#room` or `@user`.
pub fn conversations_to_open(model: &Model) -> Vec<(String, String)> {
    let rooms = model.convs.keys().filter_map(|c| match c {
        ConvRef::Room(r) => Some((format!("#{r}"), format!("#{r}"))),
        ConvRef::Dm(_) => None,
    });
    let people = people_to_message(model)
        .into_iter()
        .map(|(shown, user)| (format!("{shown}  @{user}"), format!("@{user}")));
    rooms.chain(people).collect()
}

/// Asks before removing someone from a room.
pub fn kick_question(room: &str, display: &str) -> String {
    format!(
        "Remove {display} from #{room}? They stop receiving its messages; they can join again \
         unless the room is private."
    )
}

/// What can be done with message `seq` of the current conversation, as menu labels: reply
/// and react for anyone, edit for one's own text, delete for one's own or (owner and
/// admins) anyone's in their room; nothing in an archived room but replying is refused too.
pub fn message_actions(model: &Model, seq: u64) -> Vec<&'static str> {
    let Some(c) = model.current_conv() else {
        return Vec::new();
    };
    if c.archived || !c.messages.contains_key(&seq) {
        return Vec::new();
    }
    let mut items = vec![REPLY, REACT_THUMBS, REACT];
    if model.is_mine(seq) {
        items.push(EDIT);
    }
    let mine = c
        .messages
        .get(&seq)
        .zip(model.username())
        .is_some_and(|(m, me)| m.sender.eq_ignore_ascii_case(me));
    if mine || model.can_moderate() {
        items.push(DELETE);
    }
    items
}

/// [`message_actions`]: answer the message.
pub const REPLY: &str = "Reply…";
/// [`message_actions`]: react with 👍 (again: take it back).
pub const REACT_THUMBS: &str = "React 👍";
/// [`message_actions`]: react with an emoji to type.
pub const REACT: &str = "React with…";
/// [`message_actions`]: replace one's own text.
pub const EDIT: &str = "Edit…";
/// [`message_actions`]: delete the message.
pub const DELETE: &str = "Delete";

/// Says, before it happens, what deleting `room` does.
pub fn delete_room_question(room: &str) -> String {
    format!(
        "Delete #{room} for everyone?\n\nEvery message and every shared file in it is \
         deleted for good, and all its members lose it. This cannot be undone."
    )
}

/// The start of message `seq` of the current conversation, to say what a reply answers.
pub fn quoted(model: &Model, seq: u64) -> String {
    model
        .current_conv()
        .and_then(|c| c.messages.get(&seq))
        .map(|m| {
            let text: String = m.text.chars().take(60).collect();
            format!("{}: {text}", format::person(&m.sender, &m.sender_display))
        })
        .unwrap_or_default()
}

/// Asks whether to accept an offer (one file, or several files and folders) into `downloads`.
pub fn offer_question(offer: &FileOffer, downloads: &Path) -> String {
    let what = if offer.files.len() == 1 {
        "the file"
    } else {
        "these files"
    };
    format!(
        "{} offers you {what}\n\n{}\n\nSave {} in {}?",
        offer.from,
        format::offer_summary(offer),
        if offer.files.len() == 1 { "it" } else { "them" },
        downloads.display()
    )
}

/// The results of a search, newest first, as plain text (the first few of them).
pub fn search_results(query: &str, found: &[ChatMessage]) -> String {
    let mut text = format!("{} result(s) for '{query}':\n\n", found.len());
    for m in found.iter().take(SEARCH_SHOWN) {
        let who = format::person(&m.sender, &m.sender_display);
        text.push_str(&format!("{}  {who}: {}\n", m.conv, m.text));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{logged_in, user};
    use crate::model::Conversation;
    use lanchat_net::protocol::{MemberInfo, Role, RoomInfo};

    fn model() -> Model {
        let mut model = logged_in(user("alice", "ALICE", PresenceStatus::Online));
        let bob = user("bob", "BOB", PresenceStatus::Offline);
        model.people.insert("bob".into(), bob);
        model
    }

    #[test]
    fn pickers_leave_out_this_user_and_what_they_have() {
        let mut model = model();
        assert_eq!(
            people_to_message(&model),
            [("BOB (@bob) (offline)".to_string(), "bob".to_string())]
        );
        let member = |name: &str, role| MemberInfo {
            username: name.into(),
            display: name.into(),
            role,
            status: PresenceStatus::Online,
        };
        model.members.insert(
            "dev".into(),
            vec![member("Alice", Role::Owner), member("bob", Role::Member)],
        );
        assert_eq!(
            members_to_moderate(&model, "dev"),
            [("bob (Member)".to_string(), "bob".to_string())]
        );
        model.directory = ["dev", "ops"]
            .map(|name| RoomInfo {
                name: name.into(),
                topic: "t".into(),
                members: 2,
                private: false,
                archived: false,
            })
            .into();
        model
            .convs
            .insert(ConvRef::Room("dev".into()), Conversation::default());
        assert_eq!(
            rooms_to_join(&model),
            [("#ops  (2 members)  t".to_string(), "ops".to_string())]
        );
        model.directory[1].members = 1;
        assert_eq!(
            rooms_to_join(&model)[0].0,
            "#ops  (1 member)  t",
            "not '1 members'"
        );
        let switcher = conversations_to_open(&model);
        assert!(switcher.contains(&("#dev".to_string(), "#dev".to_string())));
        assert!(switcher.iter().any(|(_, v)| v == "@bob"));
        assert!(kick_question("dev", "Bob").starts_with("Remove Bob from #dev?"));
    }

    #[test]
    fn offer_question_names_sender_file_size_and_folder() {
        use lanchat_net::protocol::OfferEntry;
        let offer = FileOffer {
            id: 1,
            from: "bob".into(),
            to: "alice".into(),
            files: vec![OfferEntry {
                path: vec!["plan.pdf".into()],
                size: 1536,
            }],
            size: 1536,
        };
        assert_eq!(
            offer_question(&offer, Path::new("downloads")),
            "bob offers you the file\n\nplan.pdf (1.5 KiB)\n\nSave it in downloads?"
        );
        assert_eq!(search_results("x", &[]), "0 result(s) for 'x':\n\n");
    }
}
