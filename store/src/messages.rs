//! Message history: each conversation is an append-only sequence 1, 2, 3, ...

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use crate::{Appended, ConvId, MessageKind, Store, StoreError, StoredMessage, UserId};

/// Columns read by [`message_from_row`]; expects `messages m` joined with the
/// sender as `users u`.
pub(crate) const MESSAGE_COLUMNS: &str =
    "m.conv_id, m.seq, m.sender_id, u.username, u.display, m.client_id, m.ts_ms, m.kind, m.text";

pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        conv_id: row.get(0)?,
        seq: row.get(1)?,
        sender_id: row.get(2)?,
        sender: row.get(3)?,
        sender_display: row.get(4)?,
        client_id: row.get(5)?,
        ts_ms: row.get(6)?,
        kind: row.get(7)?,
        text: row.get(8)?,
    })
}

impl Store {
    /// Appends a message to `conv` and returns its sequence number.
    ///
    /// Idempotent on `(conv, sender, client_id)`: a client that resends after
    /// a lost acknowledgement gets the original `seq` and `ts_ms` back with
    /// `duplicate = true`, and nothing new is stored. The sequence bump and
    /// the insert share one transaction, and this returns only after it has
    /// committed (and, with `synchronous=FULL`, reached the disk), so the
    /// result may be acknowledged to the client straight away.
    ///
    /// Membership is the caller's policy and is not checked here.
    pub fn append_message(
        &mut self,
        conv: ConvId,
        sender: UserId,
        client_id: &[u8; 16],
        kind: MessageKind,
        text: &str,
        now_ms: i64,
    ) -> Result<Appended, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let original: Option<(u64, i64)> = tx
            .query_row(
                "SELECT seq, ts_ms FROM messages
                 WHERE conv_id = ?1 AND sender_id = ?2 AND client_id = ?3",
                params![conv, sender, client_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some((seq, ts_ms)) = original {
            return Ok(Appended {
                seq,
                ts_ms,
                duplicate: true,
            });
        }
        let seq: Option<u64> = tx
            .query_row(
                "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?1
                 RETURNING last_seq",
                [conv],
                |row| row.get(0),
            )
            .optional()?;
        let Some(seq) = seq else {
            return Err(StoreError::NoSuchConversation);
        };
        tx.execute(
            "INSERT INTO messages (conv_id, seq, sender_id, client_id, ts_ms, kind, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![conv, seq, sender, client_id, now_ms, kind, text],
        )?;
        tx.commit()?;
        Ok(Appended {
            seq,
            ts_ms: now_ms,
            duplicate: false,
        })
    }

    /// Up to `limit` messages with `seq > after_seq`, oldest first; the
    /// catch-up query for a client that has seen everything up to `after_seq`.
    pub fn messages_after(
        &self,
        conv: ConvId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages m JOIN users u ON u.id = m.sender_id
             WHERE m.conv_id = ?1 AND m.seq > ?2
             ORDER BY m.seq LIMIT ?3"
        ))?;
        let messages = stmt
            .query_map(params![conv, after_seq, limit], message_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(messages)
    }

    /// The `limit` newest messages with `seq < before_seq`, returned oldest
    /// first; the query for scrolling back through history.
    pub fn messages_before(
        &self,
        conv: ConvId,
        before_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages m JOIN users u ON u.id = m.sender_id
             WHERE m.conv_id = ?1 AND m.seq < ?2
             ORDER BY m.seq DESC LIMIT ?3"
        ))?;
        let mut messages = stmt
            .query_map(params![conv, before_seq, limit], message_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        Ok(messages)
    }
}
