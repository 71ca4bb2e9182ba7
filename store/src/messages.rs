//! Message history: each conversation is an append-only sequence 1, 2, 3, ...

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::rows::{message_from_row, MESSAGE_COLUMNS, MESSAGE_JOINS};
use crate::{Appended, ConvId, MessageKind, NewMessage, Store, StoreError, StoredMessage, UserId};

/// [`Store::append_message`] inside the caller's transaction, so that
/// [`Store::share_file`] can add its files row atomically with the message.
pub(crate) fn append(
    conn: &Connection,
    conv: ConvId,
    sender: UserId,
    client_id: &[u8; 16],
    kind: MessageKind,
    text: &str,
    now_ms: i64,
) -> Result<Appended, StoreError> {
    // Every message runs these statements: compile them once (rusqlite's statement cache).
    let original: Option<(u64, i64)> = conn
        .prepare_cached(
            "SELECT seq, ts_ms FROM messages
             WHERE conv_id = ?1 AND sender_id = ?2 AND client_id = ?3",
        )?
        .query_row(params![conv, sender, client_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    if let Some((seq, ts_ms)) = original {
        return Ok(Appended {
            seq,
            ts_ms,
            duplicate: true,
        });
    }
    let seq: Option<u64> = conn
        .prepare_cached(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?1
             RETURNING last_seq",
        )?
        .query_row([conv], |row| row.get(0))
        .optional()?;
    let Some(seq) = seq else {
        return Err(StoreError::NoSuchConversation);
    };
    conn.prepare_cached(
        "INSERT INTO messages (conv_id, seq, sender_id, client_id, ts_ms, kind, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![conv, seq, sender, client_id, now_ms, kind, text])?;
    // The sender has seen what they wrote. Moving their cursor here keeps a message at one
    // commit (one fsync) instead of two.
    conn.prepare_cached(
        "UPDATE members SET read_seq = MAX(read_seq, ?2) WHERE conv_id = ?1 AND user_id = ?3",
    )?
    .execute(params![conv, seq, sender])?;
    Ok(Appended {
        seq,
        ts_ms: now_ms,
        duplicate: false,
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
    /// Membership is the caller's policy and is not checked here. File
    /// messages are refused with [`StoreError::FileNeedsShare`]; use
    /// [`Store::share_file`].
    pub fn append_message(
        &mut self,
        conv: ConvId,
        sender: UserId,
        client_id: &[u8; 16],
        kind: MessageKind,
        text: &str,
        now_ms: i64,
    ) -> Result<Appended, StoreError> {
        if kind == MessageKind::File {
            return Err(StoreError::FileNeedsShare);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let appended = append(&tx, conv, sender, client_id, kind, text, now_ms)?;
        tx.commit()?;
        Ok(appended)
    }

    /// Appends several messages in one transaction: one commit (one fsync) for all of them.
    /// This is the coordinator's group commit: the messages that arrive while one commit
    /// reaches the disk are stored together by the next.
    ///
    /// Each message gets its own outcome, as [`Store::append_message`] would give it: a
    /// resend is recognised, a missing conversation or a file message is refused, and such a
    /// refusal writes nothing, so the others are unaffected. Any other failure (disk full, I/O
    /// error) is the outer `Err`: the transaction is rolled back, nothing of the batch is
    /// stored and none of it may be acknowledged.
    pub fn append_batch(
        &mut self,
        batch: &[NewMessage<'_>],
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for m in batch {
            if m.kind == MessageKind::File {
                outcomes.push(Err(StoreError::FileNeedsShare));
                continue;
            }
            match append(&tx, m.conv, m.sender, m.client_id, m.kind, m.text, m.now_ms) {
                // Found missing before anything was written.
                Err(StoreError::NoSuchConversation) => {
                    outcomes.push(Err(StoreError::NoSuchConversation))
                }
                Err(other) => return Err(other),
                Ok(appended) => outcomes.push(Ok(appended)),
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

/// See [`Reads::messages_after`](crate::Reads::messages_after).
pub(crate) fn messages_after(
    conn: &Connection,
    conv: ConvId,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS}
         FROM messages m {MESSAGE_JOINS}
         WHERE m.conv_id = ?1 AND m.seq > ?2
         ORDER BY m.seq LIMIT ?3"
    ))?;
    let messages = stmt
        .query_map(params![conv, after_seq, limit], message_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(messages)
}

/// See [`Reads::messages_before`](crate::Reads::messages_before).
pub(crate) fn messages_before(
    conn: &Connection,
    conv: ConvId,
    before_seq: u64,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS}
         FROM messages m {MESSAGE_JOINS}
         WHERE m.conv_id = ?1 AND m.seq < ?2
         ORDER BY m.seq DESC LIMIT ?3"
    ))?;
    let mut messages = stmt
        .query_map(params![conv, before_seq, limit], message_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    messages.reverse();
    Ok(messages)
}
