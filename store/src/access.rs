//! Who may come into a room beyond its members: invitations (a private room is joined only
//! with one) and bans (a banned user cannot join again). Which users may invite or ban is the
//! coordinator's policy.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::{ConvId, Store, StoreError, UserId};

/// See [`Reads::is_invited`](crate::Reads::is_invited).
pub(crate) fn is_invited(
    conn: &Connection,
    conv: ConvId,
    user: UserId,
) -> Result<bool, StoreError> {
    exists(conn, "invites", conv, user)
}

/// See [`Reads::is_banned`](crate::Reads::is_banned).
pub(crate) fn is_banned(conn: &Connection, conv: ConvId, user: UserId) -> Result<bool, StoreError> {
    exists(conn, "bans", conv, user)
}

fn exists(conn: &Connection, table: &str, conv: ConvId, user: UserId) -> Result<bool, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT 1 FROM {table} WHERE conv_id = ?1 AND user_id = ?2"
        ))?
        .query_row(params![conv, user], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

impl Store {
    /// Invites `user` into `conv` on behalf of `by`; false if they were invited already.
    /// The invitation is used up when they join.
    pub fn invite(
        &mut self,
        conv: ConvId,
        user: UserId,
        by: UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let added = self.conn.execute(
            "INSERT INTO invites (conv_id, user_id, by_id, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conv_id, user_id) DO NOTHING",
            params![conv, user, by, now_ms],
        )?;
        Ok(added == 1)
    }

    /// Bans `user` from `conv` on behalf of `by`, in one transaction with what it implies:
    /// their membership and any invitation end. Returns whether they were a member. (The
    /// caller makes sure the owner is never banned: no one would succeed them here.)
    pub fn ban(
        &mut self,
        conv: ConvId,
        user: UserId,
        by: UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let was_member = tx.execute(
            "DELETE FROM members WHERE conv_id = ?1 AND user_id = ?2",
            params![conv, user],
        )? > 0;
        tx.execute(
            "DELETE FROM invites WHERE conv_id = ?1 AND user_id = ?2",
            params![conv, user],
        )?;
        tx.execute(
            "INSERT INTO bans (conv_id, user_id, by_id, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conv_id, user_id) DO NOTHING",
            params![conv, user, by, now_ms],
        )?;
        tx.commit()?;
        Ok(was_member)
    }

    /// Lifts a ban; false if `user` was not banned from `conv`.
    pub fn unban(&mut self, conv: ConvId, user: UserId) -> Result<bool, StoreError> {
        let removed = self.conn.execute(
            "DELETE FROM bans WHERE conv_id = ?1 AND user_id = ?2",
            params![conv, user],
        )?;
        Ok(removed > 0)
    }
}
