//! Membership of users in conversations: joining, leaving, roles and the
//! per-member read cursor and mute flag.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::{ConvId, MemberInfo, Membership, Role, Store, StoreError, UserId};

/// Adds `user` to `conv` as a Member with nothing unread, unless already a
/// member. Returns whether a row was added. Shared with DM creation so both
/// paths start cursors the same way. In a private room without `full_history` the new
/// member reads from here on (`since_seq`).
pub(crate) fn add_member(
    conn: &Connection,
    conv: ConvId,
    user: UserId,
    role: Role,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let found: Option<(u64, bool, bool)> = conn
        .query_row(
            "SELECT last_seq, private, full_history FROM conversations WHERE id = ?1",
            [conv],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((last_seq, private, full_history)) = found else {
        return Err(StoreError::NoSuchConversation);
    };
    let since = if private && !full_history {
        last_seq
    } else {
        0
    };
    let user_exists = conn
        .query_row("SELECT 1 FROM users WHERE id = ?1", [user], |_| Ok(()))
        .optional()?
        .is_some();
    if !user_exists {
        return Err(StoreError::NoSuchUser);
    }
    let added = conn.execute(
        "INSERT INTO members (conv_id, user_id, role, joined_ms, read_seq, since_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (conv_id, user_id) DO NOTHING",
        params![conv, user, role, now_ms, last_seq, since],
    )?;
    Ok(added == 1)
}

impl Store {
    /// Adds `user` to `conv` as a Member whose read cursor starts at the
    /// newest message (history is readable, but not counted as unread; in a private room
    /// without `full_history`, only what comes after is readable). An invitation to the room
    /// is used up.
    ///
    /// Returns `false` (and changes nothing) if `user` already is a member. Who may join is
    /// the caller's policy.
    pub fn join(&mut self, conv: ConvId, user: UserId, now_ms: i64) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let added = add_member(&tx, conv, user, Role::Member, now_ms)?;
        tx.execute(
            "DELETE FROM invites WHERE conv_id = ?1 AND user_id = ?2",
            params![conv, user],
        )?;
        tx.commit()?;
        Ok(added)
    }

    /// Removes `user` from `conv`.
    ///
    /// If the leaver was the last Owner and members remain, the
    /// longest-standing remaining member (earliest `joined_ms`, ties broken
    /// by join order) becomes Owner and is returned, so a room is never left
    /// without someone able to manage it. An emptied room is kept so its
    /// history survives.
    pub fn leave(&mut self, conv: ConvId, user: UserId) -> Result<Option<UserId>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let role: Option<Role> = tx
            .query_row(
                "SELECT role FROM members WHERE conv_id = ?1 AND user_id = ?2",
                params![conv, user],
                |row| row.get(0),
            )
            .optional()?;
        let Some(role) = role else {
            return Err(StoreError::NotMember);
        };
        tx.execute(
            "DELETE FROM members WHERE conv_id = ?1 AND user_id = ?2",
            params![conv, user],
        )?;
        let mut successor = None;
        if role == Role::Owner {
            let owner_remains = tx
                .query_row(
                    "SELECT 1 FROM members WHERE conv_id = ?1 AND role = ?2 LIMIT 1",
                    params![conv, Role::Owner],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !owner_remains {
                successor = tx
                    .query_row(
                        "SELECT user_id FROM members WHERE conv_id = ?1
                         ORDER BY joined_ms, id LIMIT 1",
                        [conv],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(next) = successor {
                    tx.execute(
                        "UPDATE members SET role = ?3 WHERE conv_id = ?1 AND user_id = ?2",
                        params![conv, next, Role::Owner],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(successor)
    }

    /// Changes a member's role. Fails with [`StoreError::NotMember`] if
    /// `user` is not in `conv`.
    pub fn set_role(&mut self, conv: ConvId, user: UserId, role: Role) -> Result<(), StoreError> {
        self.update_member(
            "UPDATE members SET role = ?3 WHERE conv_id = ?1 AND user_id = ?2",
            conv,
            user,
            role,
        )
    }

    /// Moves the read cursor forward to `seq`, clamped to the newest message.
    ///
    /// The cursor never moves backwards, so a stale or reordered read receipt
    /// from another device cannot resurrect unread counts.
    pub fn mark_read(&mut self, conv: ConvId, user: UserId, seq: u64) -> Result<(), StoreError> {
        self.update_member(
            "UPDATE members
             SET read_seq = MAX(read_seq,
                 MIN(?3, (SELECT last_seq FROM conversations WHERE id = ?1)))
             WHERE conv_id = ?1 AND user_id = ?2",
            conv,
            user,
            seq,
        )
    }

    /// Mutes or unmutes notifications for `user` in `conv`.
    pub fn set_muted(&mut self, conv: ConvId, user: UserId, muted: bool) -> Result<(), StoreError> {
        self.update_member(
            "UPDATE members SET muted = ?3 WHERE conv_id = ?1 AND user_id = ?2",
            conv,
            user,
            muted,
        )
    }

    fn update_member(
        &mut self,
        sql: &str,
        conv: ConvId,
        user: UserId,
        value: impl rusqlite::ToSql,
    ) -> Result<(), StoreError> {
        match self.conn.execute(sql, params![conv, user, value])? {
            0 => Err(StoreError::NotMember),
            _ => Ok(()),
        }
    }
}

/// See [`Reads::membership`](crate::Reads::membership).
pub(crate) fn membership(
    conn: &Connection,
    conv: ConvId,
    user: UserId,
) -> Result<Option<Membership>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT role, joined_ms, read_seq, muted, since_seq FROM members
             WHERE conv_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![conv, user], |row| {
            Ok(Membership {
                conv_id: conv,
                user_id: user,
                role: row.get(0)?,
                joined_ms: row.get(1)?,
                read_seq: row.get(2)?,
                muted: row.get(3)?,
                since_seq: row.get(4)?,
            })
        })
        .optional()?;
    Ok(found)
}

/// See [`Reads::members`](crate::Reads::members). Pages in the order rows were added (the
/// order people joined, as the coordinator stamps `joined_ms` from its clock when they do),
/// keyed on the row id, so a page costs the same however far into the list it is.
pub(crate) fn members(
    conn: &Connection,
    conv: ConvId,
    after: u64,
    limit: u32,
) -> Result<Vec<MemberInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.user_id, u.username, u.display, m.role, m.joined_ms, m.id
         FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.conv_id = ?1 AND m.id > ?2
         ORDER BY m.id LIMIT ?3",
    )?;
    let members = stmt
        .query_map(params![conv, after, limit], |row| {
            Ok(MemberInfo {
                user_id: row.get(0)?,
                username: row.get(1)?,
                display: row.get(2)?,
                role: row.get(3)?,
                joined_ms: row.get(4)?,
                position: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(members)
}

/// See [`Reads::member_ids`](crate::Reads::member_ids).
pub(crate) fn member_ids(conn: &Connection, conv: ConvId) -> Result<Vec<UserId>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT user_id FROM members WHERE conv_id = ?1 ORDER BY joined_ms, id")?;
    let ids = stmt
        .query_map([conv], |row| row.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// See [`Reads::member_floors`](crate::Reads::member_floors).
pub(crate) fn member_floors(
    conn: &Connection,
    conv: ConvId,
) -> Result<Vec<(UserId, u64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, since_seq FROM members WHERE conv_id = ?1 ORDER BY joined_ms, id",
    )?;
    let floors = stmt
        .query_map([conv], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(floors)
}
