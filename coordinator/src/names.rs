//! Names that cannot pass for someone else: a new display name is checked against every other
//! user's username, and at start the names already stored are held to today's rules.
//!
//! Usernames are unique under look-alike keys (the store refuses `aIice` beside `alice`, see
//! `lanchat_store::lookalike_keys`). A display name may be anything visible, but not something
//! that looks like *another* user's username (`/nick alice` by bob): front ends show
//! `Display (@username)` whenever the two differ, and a display name equal to someone's
//! username would be shown alone.
use lanchat_net::protocol::{ErrorCode, ErrorInfo};
use lanchat_store::{Reads, Store, StoreError, UserId};

use crate::rules;

/// `display` as `me`'s display name would be stored, or why it is refused.
pub fn display_for(store: &Store, me: UserId, display: &str) -> Result<String, ErrorInfo> {
    let display = rules::normalize_display(display)?;
    let other = store
        .users_looking_like(&display)
        .map_err(|e| ErrorInfo::new(ErrorCode::Internal, format!("storage error: {e}")))?
        .into_iter()
        .find(|u| u.id != me);
    match other {
        Some(other) => Err(ErrorInfo::new(
            ErrorCode::InvalidName,
            format!(
                "display name {display:?} looks like the existing user {}",
                other.username
            ),
        )),
        None => Ok(display),
    }
}

/// Run once at start, before anyone logs in: logs the existing accounts whose usernames look
/// alike (both keep working; new look-alikes are refused), and gives back their usernames as
/// display names to accounts whose display name today's rules refuse (a bidirectional
/// override, an invisible character, a look-alike of someone else's username). Returns how
/// many display names were reset.
pub fn check_stored(store: &mut Store) -> Result<usize, StoreError> {
    /// Accounts read at a time.
    const CHECK_PAGE: u32 = 500;
    for clash in store.lookalike_clashes() {
        tracing::warn!(
            older = %clash.older,
            newer = %clash.newer,
            "existing accounts look alike; both are kept, and new names like them are refused"
        );
    }
    let mut reset = 0;
    let mut after: Option<String> = None;
    loop {
        let page = store.list_users(after.as_deref(), CHECK_PAGE)?;
        let Some(last) = page.last() else {
            return Ok(reset);
        };
        after = Some(last.username.clone());
        for user in page {
            if let Err(why) = display_for(store, user.id, &user.display) {
                tracing::warn!(
                    user = %user.username,
                    display = ?user.display,
                    "display name reset to the username: {}",
                    why.message
                );
                store.set_display(user.id, &user.username)?;
                reset += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_may_not_pass_for_another_user() {
        let mut store = Store::open_in_memory().unwrap();
        let alice = store.create_user("alice", "alice", "h", 1).unwrap();
        let bob = store.create_user("bob", "bob", "h", 1).unwrap();
        for fake in [
            "alice",
            "Alice",
            "ALICE",
            "aIice",
            "a1ice",
            "\u{0430}lice",
            " alice ",
        ] {
            let err = display_for(&store, bob.id, fake).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidName);
            assert!(
                err.message.contains("looks like the existing user alice"),
                "{fake:?}: {}",
                err.message
            );
        }
        // Your own username, in any case, and names that are merely similar are fine.
        assert_eq!(display_for(&store, alice.id, "ALICE").unwrap(), "ALICE");
        assert_eq!(
            display_for(&store, bob.id, "Alice's friend").unwrap(),
            "Alice's friend"
        );
    }

    #[test]
    fn stored_names_are_held_to_the_rules_at_start() {
        let mut store = Store::open_in_memory().unwrap();
        let alice = store.create_user("alice", "Alice", "h", 1).unwrap();
        let bob = store.create_user("bob", "Bob", "h", 1).unwrap();
        let carol = store.create_user("carol", "Carol", "h", 1).unwrap();
        // As older coordinators let them be set.
        store.set_display(bob.id, "alice").unwrap();
        store.set_display(carol.id, "Carol \u{202E}nimda").unwrap();
        assert_eq!(check_stored(&mut store).unwrap(), 2);
        let display = |id| store.user_by_id(id).unwrap().unwrap().display;
        assert_eq!(display(alice.id), "Alice");
        assert_eq!(display(bob.id), "bob");
        assert_eq!(display(carol.id), "carol");
        assert_eq!(check_stored(&mut store).unwrap(), 0);
    }
}
