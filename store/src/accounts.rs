//! User accounts.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::lookalike;
use crate::rows::{user_from_row, USER_COLUMNS};
use crate::{Credential, Role, Settings, Store, StoreError, User, UserId};

/// See [`Reads::user_by_name`](crate::Reads::user_by_name).
pub(crate) fn user_by_name(
    conn: &Connection,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"
        ))?
        .query_row([username], |row| Ok((user_from_row(row)?, row.get(4)?)))
        .optional()?;
    Ok(found)
}

/// See [`Reads::user_by_id`](crate::Reads::user_by_id).
pub(crate) fn user_by_id(conn: &Connection, id: UserId) -> Result<Option<User>, StoreError> {
    let found = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], user_from_row)
        .optional()?;
    Ok(found)
}

/// See [`Reads::list_users`](crate::Reads::list_users). Keyset paging on the unique
/// (case-insensitive) username, so a page costs the same however far into the list it is.
pub(crate) fn list_users(
    conn: &Connection,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<User>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users
         WHERE ?1 IS NULL OR username > ?1
         ORDER BY username LIMIT ?2"
    ))?;
    let users = stmt
        .query_map(params![after, limit], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// See [`Reads::settings`](crate::Reads::settings).
pub(crate) fn settings(conn: &Connection, user: UserId) -> Result<Settings, StoreError> {
    conn.prepare_cached("SELECT typing, receipts FROM users WHERE id = ?1")?
        .query_row([user], |row| {
            Ok(Settings {
                typing: row.get(0)?,
                receipts: row.get(1)?,
            })
        })
        .optional()?
        .ok_or(StoreError::NoSuchUser)
}

impl Store {
    /// Keeps a user's choices about typing indicators and read receipts.
    pub fn set_settings(&mut self, user: UserId, settings: Settings) -> Result<(), StoreError> {
        match self.conn.execute(
            "UPDATE users SET typing = ?2, receipts = ?3 WHERE id = ?1",
            params![user, settings.typing, settings.receipts],
        )? {
            0 => Err(StoreError::NoSuchUser),
            _ => Ok(()),
        }
    }

    /// Creates an account that logs in with OPAQUE (`record` is its OPAQUE
    /// registration record), like [`Store::create_user`] otherwise.
    pub fn create_opaque_user(
        &mut self,
        username: &str,
        display: &str,
        record: &[u8],
        now_ms: i64,
    ) -> Result<User, StoreError> {
        self.insert_user(username, display, "", Some(record), now_ms)
    }

    /// Creates an account with only an Argon2 hash (as accounts were before OPAQUE) and makes
    /// it a member of `general`, starting with nothing unread there.
    ///
    /// Fails with [`StoreError::UsernameTaken`] if the name exists in any
    /// capitalisation (SQLite's `NOCASE`, which folds ASCII letters only; the
    /// coordinator is expected to restrict usernames to ASCII), and with
    /// [`StoreError::UsernameLooksLike`] if it looks like an existing one
    /// (see [`lookalike_keys`](crate::lookalike_keys)).
    pub fn create_user(
        &mut self,
        username: &str,
        display: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        self.insert_user(username, display, password_hash, None, now_ms)
    }

    fn insert_user(
        &mut self,
        username: &str,
        display: &str,
        password_hash: &str,
        record: Option<&[u8]>,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked up front (inside the write lock) rather than by decoding a
        // constraint failure, which would not say which constraint fired.
        let taken = tx
            .query_row(
                "SELECT 1 FROM users WHERE username = ?1",
                [username],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if taken {
            return Err(StoreError::UsernameTaken);
        }
        let keys = lookalike::lookalike_keys(username);
        if let Some(existing) = lookalike::holder(&tx, &keys)? {
            return Err(StoreError::UsernameLooksLike {
                existing: existing.username,
            });
        }
        tx.execute(
            "INSERT INTO users (username, display, password_hash, opaque_record, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![username, display, password_hash, record, now_ms],
        )?;
        let id = tx.last_insert_rowid();
        lookalike::claim(&tx, id, &keys)?;
        let joined = tx.execute(
            "INSERT INTO members (conv_id, user_id, role, joined_ms, read_seq)
             SELECT id, ?1, ?2, ?3, last_seq FROM conversations
             WHERE kind = 0 AND name = 'general'",
            params![id, Role::Member, now_ms],
        )?;
        if joined != 1 {
            return Err(StoreError::Corrupt("room general is missing".into()));
        }
        tx.commit()?;
        Ok(User {
            id,
            username: username.to_owned(),
            display: display.to_owned(),
            created_ms: now_ms,
        })
    }

    /// Looks up an account by username, case-insensitively, with what it logs
    /// in with: its OPAQUE record, or else its legacy Argon2 hash.
    pub fn credential(&self, username: &str) -> Result<Option<(User, Credential)>, StoreError> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, password_hash, opaque_record FROM users
                 WHERE username = ?1"
            ))?
            .query_row([username], |row| {
                let record: Option<Vec<u8>> = row.get(5)?;
                let credential = match record {
                    Some(record) => Credential::Opaque(record),
                    None => Credential::Legacy(row.get(4)?),
                };
                Ok((user_from_row(row)?, credential))
            })
            .optional()?;
        Ok(found)
    }

    /// Keeps `record` as the user's OPAQUE record and forgets any legacy hash
    /// (a migration, or a password change).
    pub fn set_opaque_record(&mut self, user: UserId, record: &[u8]) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE users SET opaque_record = ?2, password_hash = '' WHERE id = ?1",
            params![user, record],
        )?;
        match changed {
            0 => Err(StoreError::NoSuchUser),
            _ => Ok(()),
        }
    }

    /// Replaces a user's password hash. Existing sessions are untouched; see
    /// [`Store::delete_sessions_of`].
    pub fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError> {
        self.update_user(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            user,
            hash,
        )
    }

    /// Replaces a user's display name.
    pub fn set_display(&mut self, user: UserId, display: &str) -> Result<(), StoreError> {
        self.update_user("UPDATE users SET display = ?2 WHERE id = ?1", user, display)
    }

    fn update_user(&mut self, sql: &str, user: UserId, value: &str) -> Result<(), StoreError> {
        match self.conn.execute(sql, params![user, value])? {
            0 => Err(StoreError::NoSuchUser),
            _ => Ok(()),
        }
    }
}
