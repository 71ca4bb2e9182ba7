//! Usernames that look alike: their keys, and the table that keeps each key to one account.
//!
//! Two names clash when one of them, as written or case-folded, has the same key as the other
//! (as written or case-folded). A key is the name's UTS #39 confusable skeleton (the
//! `unicode-security` crate, Unicode 18.0 `confusables.txt`; it also drops default-ignorable
//! characters such as zero-width spaces), case-folded (the `caseless` crate, full folding), then
//! skeletoned again so that a letter that has a look-alike only in lower case is caught too
//! (`Mallory` → `mallory` → `rnallory`). So `aIice` (capital I) and `a1ice` clash with `alice`
//! through the skeleton (`I` and `1` look like `l`), `ALICE` clashes with it through folding,
//! `rnallory` with `mallory`, `b0b` with `bob`, and a Cyrillic `аlice` with `alice`.
//!
//! The keys live in `name_keys`, whose primary key makes each key belong to one account. They
//! are rebuilt from the usernames at every open, oldest account first, so they always follow
//! this build's Unicode tables. Accounts that clash but existed before this rule keep working:
//! the older one holds the key, the newer one is reported by [`Store::lookalike_clashes`], and
//! no new account may take a name like either.
use caseless::Caseless;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use unicode_security::skeleton;

use crate::rows::{user_from_row, USER_COLUMNS};
use crate::{Store, StoreError, User, UserId};

/// The look-alike keys of `name` (one or two, distinct): see the module documentation.
pub fn lookalike_keys(name: &str) -> Vec<String> {
    let as_written = key(name);
    let folded = key(&name.chars().default_case_fold().collect::<String>());
    if folded == as_written {
        vec![as_written]
    } else {
        vec![as_written, folded]
    }
}

/// Skeleton, case fold, skeleton.
fn key(name: &str) -> String {
    let once: String = skeleton(name).collect();
    let folded: String = once.chars().default_case_fold().collect();
    skeleton(&folded).collect()
}

/// Two existing accounts whose names look alike (both kept; see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// The older account, which holds the shared key.
    pub older: String,
    /// The newer account.
    pub newer: String,
}

/// The account holding one of `keys`, if any (the oldest, for a stable answer).
pub(crate) fn holder(
    tx: &rusqlite::Connection,
    keys: &[String],
) -> Result<Option<User>, StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id =
           (SELECT min(user_id) FROM name_keys WHERE key IN (?1, ?2))"
    ))?;
    let first = keys.first().map(String::as_str).unwrap_or_default();
    let second = keys.get(1).map_or(first, String::as_str);
    Ok(stmt
        .query_row(params![first, second], user_from_row)
        .optional()?)
}

/// Records `user`'s keys; false for each one another account already holds.
pub(crate) fn claim(
    tx: &Transaction<'_>,
    user: UserId,
    keys: &[String],
) -> Result<bool, StoreError> {
    let mut stmt =
        tx.prepare_cached("INSERT OR IGNORE INTO name_keys (key, user_id) VALUES (?1, ?2)")?;
    let mut all = true;
    for key in keys {
        all &= stmt.execute(params![key, user])? == 1;
    }
    Ok(all)
}

/// Recomputes every account's keys, oldest account first; returns the clashes found.
pub(crate) fn rebuild(conn: &mut rusqlite::Connection) -> Result<Vec<Clash>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute("DELETE FROM name_keys", [])?;
    let users: Vec<(UserId, String)> = tx
        .prepare("SELECT id, username FROM users ORDER BY id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut clashes = Vec::new();
    for (id, username) in users {
        let keys = lookalike_keys(&username);
        if !claim(&tx, id, &keys)? {
            if let Some(older) = holder(&tx, &keys)?.filter(|older| older.id != id) {
                clashes.push(Clash {
                    older: older.username,
                    newer: username,
                });
            }
        }
    }
    tx.commit()?;
    Ok(clashes)
}

impl Store {
    /// The accounts whose usernames look like `name` (see [`lookalike_keys`]), oldest first:
    /// for refusing a display name that would pass for someone else. At most two (one per
    /// key).
    pub fn users_looking_like(&self, name: &str) -> Result<Vec<User>, StoreError> {
        let keys = lookalike_keys(name);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN
               (SELECT user_id FROM name_keys WHERE key IN (?1, ?2))
             ORDER BY id"
        ))?;
        let first = keys.first().map(String::as_str).unwrap_or_default();
        let second = keys.get(1).map_or(first, String::as_str);
        let users = stmt
            .query_map(params![first, second], user_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(users)
    }

    /// Pairs of existing accounts whose names look alike, found when the store was opened.
    /// Both keep working; new accounts like either are refused.
    pub fn lookalike_clashes(&self) -> &[Clash] {
        &self.clashes
    }
}

#[cfg(test)]
mod tests {
    use super::{lookalike_keys, Clash};
    use crate::{Reads, Store, StoreError};

    fn clash(a: &str, b: &str) -> bool {
        let b = lookalike_keys(b);
        lookalike_keys(a).iter().any(|k| b.contains(k))
    }

    #[test]
    fn look_alikes_clash() {
        for (a, b) in [
            ("alice", "aIice"),
            ("alice", "a1ice"),
            ("alice", "ALICE"),
            ("alice", "Alice"),
            ("alice", "AIice"),
            ("alice", "ali\u{200B}ce"),
            ("alice", "\u{0430}lice"),
            ("mallory", "rnallory"),
            ("Mallory", "rnallory"),
            ("bob", "b0b"),
            ("bob", "BOB"),
            ("boss", "Boß"),
        ] {
            assert!(clash(a, b), "{a} / {b}");
            assert!(clash(b, a), "{b} / {a}");
        }
    }

    #[test]
    fn different_names_do_not() {
        for (a, b) in [
            ("alice", "alicia"),
            ("bob", "rob"),
            ("alice", "Alice Martin"),
            ("al", "a1x"),
        ] {
            assert!(!clash(a, b), "{a} / {b}");
        }
    }

    /// A file from before the rule with two accounts that look alike: both stay, the clash is
    /// reported, and no third look-alike gets in.
    #[test]
    fn existing_look_alikes_are_kept_and_new_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut store = Store::open(&path).unwrap();
            store.create_user("alice", "Alice", "h1", 1).unwrap();
            // As an older build would have let it in: no keys.
            store
                .conn
                .execute_batch(
                    "INSERT INTO users (username, display, password_hash, created_ms)
                     VALUES ('aIice', 'Alice', 'h2', 2);
                     DELETE FROM name_keys;",
                )
                .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.lookalike_clashes(),
            [Clash {
                older: "alice".into(),
                newer: "aIice".into()
            }]
        );
        assert_eq!(store.user_by_name("aIice").unwrap().unwrap().1, "h2");
        for name in ["a1ice", "ALICE", "AIice"] {
            let refused = store.create_user(name, name, "h", 3);
            assert!(
                matches!(&refused, Err(StoreError::UsernameLooksLike { existing }) if existing == "alice")
                    || matches!(refused, Err(StoreError::UsernameTaken)),
                "{name}: {refused:?}"
            );
        }
        let like = |name: &str| -> Vec<String> {
            let users = store.users_looking_like(name).unwrap();
            users.into_iter().map(|u| u.username).collect()
        };
        assert!(like("AI1ce").is_empty());
        // "aIice" holds the key of its folded form ("aiice") alone.
        assert_eq!(like("A1ice"), ["alice"]);
        assert_eq!(like("aIice"), ["alice", "aIice"]);
        assert_eq!(store.list_users(None, 100).unwrap().len(), 2);
    }
}
