//! Direct-message threads between two users.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::members::add_member;
use crate::rows::{conv_from_row, CONV_COLUMNS};
use crate::{ConvKind, Conversation, Role, Store, StoreError, UserId};

/// See [`Reads::dm_between`](crate::Reads::dm_between).
pub(crate) fn dm_between(
    conn: &Connection,
    a: UserId,
    b: UserId,
) -> Result<Option<Conversation>, StoreError> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let conv = conn
        .prepare_cached(&format!(
            "SELECT {CONV_COLUMNS} FROM conversations c WHERE c.dm_lo = ?1 AND c.dm_hi = ?2"
        ))?
        .query_row(params![lo, hi], conv_from_row)
        .optional()?;
    Ok(conv)
}

impl Store {
    /// Returns the DM thread between `a` and `b`, creating it on first use.
    ///
    /// Symmetric: `(a, b)` and `(b, a)` name the same thread. `a == b` gives
    /// a user's notes to self. Both users are (re-)added as members, so a
    /// user who left the thread is back in it when either side reopens it.
    pub fn dm_conversation(
        &mut self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<Conversation, StoreError> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing = tx
            .query_row(
                &format!(
                    "SELECT {CONV_COLUMNS} FROM conversations c
                     WHERE c.dm_lo = ?1 AND c.dm_hi = ?2"
                ),
                params![lo, hi],
                conv_from_row,
            )
            .optional()?;
        let conv = match existing {
            Some(conv) => conv,
            None => {
                let users = tx.query_row(
                    "SELECT COUNT(*) FROM users WHERE id IN (?1, ?2)",
                    params![lo, hi],
                    |row| row.get::<_, i64>(0),
                )?;
                if users != if lo == hi { 1 } else { 2 } {
                    return Err(StoreError::NoSuchUser);
                }
                // The name only has to be unique among DMs; rooms live in a
                // separate (kind, name) namespace.
                let name = format!("dm:{lo}:{hi}");
                tx.execute(
                    "INSERT INTO conversations (kind, name, created_ms, dm_lo, dm_hi)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![ConvKind::Dm, name, now_ms, lo, hi],
                )?;
                Conversation {
                    id: tx.last_insert_rowid(),
                    kind: ConvKind::Dm,
                    name,
                    topic: String::new(),
                    last_seq: 0,
                    created_ms: now_ms,
                    private: false,
                    full_history: false,
                    archived: false,
                }
            }
        };
        add_member(&tx, conv.id, lo, Role::Member, now_ms)?;
        add_member(&tx, conv.id, hi, Role::Member, now_ms)?;
        tx.commit()?;
        Ok(conv)
    }
}
