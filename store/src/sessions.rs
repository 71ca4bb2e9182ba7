//! Login sessions, keyed by the hash of the bearer token.
//!
//! Only the BLAKE3 hash of a token is stored, so a leaked database file does
//! not let anyone impersonate a logged-in user.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::{Store, StoreError, UserId};

impl Store {
    /// Records a new session for `user`.
    pub fn create_session(
        &mut self,
        user: UserId,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, created_ms, last_seen_ms)
             VALUES (?1, ?2, ?3, ?3)",
            params![token_hash, user, now_ms],
        )?;
        Ok(())
    }

    /// Resolves a session to its user and marks it as used at `now_ms`.
    ///
    /// Returns `None` if the token is unknown or was idle for more than
    /// `max_idle_ms`; an expired session is deleted so it can never revive.
    pub fn session_user(
        &mut self,
        token_hash: &[u8; 32],
        now_ms: i64,
        max_idle_ms: i64,
    ) -> Result<Option<UserId>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(UserId, i64)> = tx
            .query_row(
                "SELECT user_id, last_seen_ms FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((user, last_seen_ms)) = found else {
            return Ok(None);
        };
        let alive = now_ms.saturating_sub(last_seen_ms) <= max_idle_ms;
        if alive {
            // MAX keeps last_seen from moving backwards if callers race with
            // slightly different clocks.
            tx.execute(
                "UPDATE sessions SET last_seen_ms = MAX(last_seen_ms, ?2) WHERE token_hash = ?1",
                params![token_hash, now_ms],
            )?;
        } else {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        }
        tx.commit()?;
        Ok(alive.then_some(user))
    }

    /// Ends one session (logout). Unknown tokens are ignored.
    pub fn delete_session(&mut self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Ends every session of `user`, e.g. after a password change.
    pub fn delete_sessions_of(&mut self, user: UserId) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE user_id = ?1", [user])?;
        Ok(())
    }
}
