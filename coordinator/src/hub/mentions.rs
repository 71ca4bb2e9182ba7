//! Mentions: who a message names with `@username`, read by the coordinator from the text it
//! stores, so a sender can neither claim a mention the text does not make nor avoid one it
//! does. `@room` names everyone in a room, from its owner and admins only (from anyone else it
//! is plain text).
//!
//! Bounded: at most [`MAX_MENTIONS`] people per message, found among the first
//! [`CANDIDATES`] `@words` (each costs a lookup of the name).
use lanchat_net::protocol::MAX_MENTIONS;
use lanchat_store::{Reads as _, Store, UserId};

use super::Refusal;

/// Most `@words` of one message looked up.
pub const CANDIDATES: usize = 2 * MAX_MENTIONS;

/// What a message mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mentions {
    /// The people named (never the sender), at most [`MAX_MENTIONS`].
    pub users: Vec<UserId>,
    /// `@room`, from someone allowed to use it.
    pub room: bool,
}

/// The `@words` of `text`, in order, without repeats: an `@` at the start or after anything
/// that cannot be part of a name (so `alice@example.org` names nobody), followed by the
/// characters a username may have. At most [`CANDIDATES`].
pub(crate) fn candidates(text: &str) -> Vec<String> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut found: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = c == '@' && !prev.is_some_and(name_char);
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + 1..];
        let len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        let word = rest[..len].to_ascii_lowercase();
        if !word.is_empty() && !found.contains(&word) {
            found.push(word);
            if found.len() == CANDIDATES {
                break;
            }
        }
    }
    found
}

/// Who `text`, sent by `sender`, mentions: the `@words` that name a user (as written, or
/// without the punctuation that ends a sentence: `@bob.`), and `@room` when `may_mention_room`.
pub(crate) fn resolve(
    store: &Store,
    text: &str,
    sender: UserId,
    may_mention_room: bool,
) -> Result<Mentions, Refusal> {
    let mut mentions = Mentions::default();
    for word in candidates(text) {
        if word == "room" {
            mentions.room |= may_mention_room;
            continue;
        }
        let trimmed = word.trim_end_matches(['.', '-', '_']);
        let mut user = store.user_by_name(&word)?;
        if user.is_none() && trimmed != word && !trimmed.is_empty() {
            user = store.user_by_name(trimmed)?;
        }
        let Some((user, _)) = user else { continue };
        if user.id != sender && !mentions.users.contains(&user.id) {
            mentions.users.push(user.id);
            if mentions.users.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    Ok(mentions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_after_an_at_sign_that_starts_a_name() {
        assert_eq!(
            candidates("@Bob, ask @carol.smith. and @bob again; mail x@y.org @ @room!"),
            ["bob", "carol.smith.", "room"]
        );
        assert!(candidates("no mentions here, a@b.c").is_empty());
        assert_eq!(candidates("(@dave)"), ["dave"]);
    }

    #[test]
    fn a_flood_of_at_words_is_bounded() {
        let text: String = (0..5000).map(|i| format!("@user{i} ")).collect();
        assert_eq!(candidates(&text).len(), CANDIDATES);
    }

    #[test]
    fn names_are_resolved_and_room_needs_the_right() {
        let mut store = Store::open_in_memory().unwrap();
        let alice = store.create_user("alice", "Alice", "h", 1).unwrap().id;
        let bob = store.create_user("bob", "Bob", "h", 1).unwrap().id;
        let dots = store.create_user("d.o.t.", "Dots", "h", 1).unwrap().id;
        let m = resolve(
            &store,
            "hi @Bob. @alice @nobody @room @d.o.t.",
            alice,
            false,
        )
        .unwrap();
        assert_eq!(m.users, [bob, dots], "never the sender; @bob. is bob");
        assert!(!m.room);
        assert!(resolve(&store, "@room", alice, true).unwrap().room);
    }
}
