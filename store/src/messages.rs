//! Message history: each conversation is an append-only sequence 1, 2, 3, ...
//!
//! Edits, deletions and reactions are entries of the same sequence (kinds Edit, Delete,
//! React, Unreact, pointing at their `target`), and the target's row is updated in place.
//! Why: a client catches up with "everything after seq N", so a change made while it was away
//! reaches it the same way a message does — in order, once, after a reconnect or at the next
//! login (its read cursor covers changes too) — with no second mechanism to keep in step; and
//! history pages and search read the target's row, so they show each message as it is now.
//! A deleted message keeps its row (the sequence has no holes) with its text emptied, and its
//! words leave the full-text index (the schema's triggers, with FTS5's secure-delete).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::rows::{message_from_row, MESSAGE_COLUMNS, MESSAGE_JOINS};
use crate::{
    references, Appended, ChangeOp, Changed, ConvId, MessageKind, NewMessage, ReactionCount, Store,
    StoreError, StoredMessage, UserId,
};

/// Most different reactions one message carries (the protocol's `MAX_REACTIONS`).
pub const MAX_REACTIONS: usize = 20;

/// One row of the sequence, as [`insert`] stores it.
struct Entry<'a> {
    conv: ConvId,
    sender: UserId,
    client_id: &'a [u8; 16],
    kind: MessageKind,
    text: &'a str,
    now_ms: i64,
    reply_to: Option<u64>,
    target: Option<u64>,
}

/// The entry `sender` stored under `client_id` in `conv`, if any: a resend is answered with
/// it. Its kind too, so a resent change says what it did.
pub(crate) fn posted(
    conn: &Connection,
    conv: ConvId,
    sender: UserId,
    client_id: &[u8; 16],
) -> Result<Option<(Appended, MessageKind)>, StoreError> {
    // Every message runs this: compile it once (rusqlite's statement cache).
    let found = conn
        .prepare_cached(
            "SELECT seq, ts_ms, kind FROM messages
             WHERE conv_id = ?1 AND sender_id = ?2 AND client_id = ?3",
        )?
        .query_row(params![conv, sender, client_id], |row| {
            Ok((
                Appended {
                    seq: row.get(0)?,
                    ts_ms: row.get(1)?,
                    duplicate: true,
                },
                row.get(2)?,
            ))
        })
        .optional()?;
    Ok(found)
}

/// Stores `entry` as the next seq of its conversation, unless its client id was used there
/// by its sender already (then the original is returned with `duplicate`).
fn insert(conn: &Connection, entry: &Entry<'_>) -> Result<Appended, StoreError> {
    if let Some((original, _)) = posted(conn, entry.conv, entry.sender, entry.client_id)? {
        return Ok(original);
    }
    let seq: Option<u64> = conn
        .prepare_cached(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?1
             RETURNING last_seq",
        )?
        .query_row([entry.conv], |row| row.get(0))
        .optional()?;
    let Some(seq) = seq else {
        return Err(StoreError::NoSuchConversation);
    };
    conn.prepare_cached(
        "INSERT INTO messages
         (conv_id, seq, sender_id, client_id, ts_ms, kind, text, reply_to, target)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        entry.conv,
        seq,
        entry.sender,
        entry.client_id,
        entry.now_ms,
        entry.kind,
        entry.text,
        entry.reply_to,
        entry.target
    ])?;
    // The sender has seen what they wrote. Moving their cursor here keeps a message at one
    // commit (one fsync) instead of two.
    conn.prepare_cached(
        "UPDATE members SET read_seq = MAX(read_seq, ?2) WHERE conv_id = ?1 AND user_id = ?3",
    )?
    .execute(params![entry.conv, seq, entry.sender])?;
    Ok(Appended {
        seq,
        ts_ms: entry.now_ms,
        duplicate: false,
    })
}

/// Records who message `seq` of `conv` mentions (`everyone`: `@room`), replacing what was.
fn set_mentions(
    conn: &Connection,
    conv: ConvId,
    seq: u64,
    users: &[UserId],
    everyone: bool,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM mentions WHERE conv_id = ?1 AND seq = ?2")?
        .execute(params![conv, seq])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO mentions (conv_id, seq, user_id) VALUES (?1, ?2, ?3)")?;
    if everyone {
        // Everyone is counted once through this row, so no row per person as well.
        insert.execute(params![conv, seq, Option::<UserId>::None])?;
        return Ok(());
    }
    let mut seen = Vec::with_capacity(users.len());
    for user in users {
        if !seen.contains(user) {
            seen.push(*user);
            insert.execute(params![conv, seq, user])?;
        }
    }
    Ok(())
}

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
    insert(
        conn,
        &Entry {
            conv,
            sender,
            client_id,
            kind,
            text,
            now_ms,
            reply_to: None,
            target: None,
        },
    )
}

/// One message of a group commit, with its reply and mentions.
fn append_new(conn: &Connection, m: &NewMessage<'_>) -> Result<Appended, StoreError> {
    if let Some(answered) = m.reply_to {
        if !shown(conn, m.conv, answered)? {
            return Err(StoreError::NoSuchMessage);
        }
    }
    let appended = insert(
        conn,
        &Entry {
            conv: m.conv,
            sender: m.sender,
            client_id: m.client_id,
            kind: m.kind,
            text: m.text,
            now_ms: m.now_ms,
            reply_to: m.reply_to,
            target: None,
        },
    )?;
    if !appended.duplicate && (m.everyone || !m.mentions.is_empty()) {
        set_mentions(conn, m.conv, appended.seq, m.mentions, m.everyone)?;
    }
    Ok(appended)
}

/// Whether message `seq` of `conv` is a text or file message that was not deleted (what a
/// reply can answer and a change can change).
fn shown(conn: &Connection, conv: ConvId, seq: u64) -> Result<bool, StoreError> {
    Ok(target_of(conn, conv, seq)?.is_some())
}

/// The kind of message `seq` of `conv` if it can be changed (text or file, not deleted).
fn target_of(conn: &Connection, conv: ConvId, seq: u64) -> Result<Option<MessageKind>, StoreError> {
    let found: Option<(MessageKind, bool)> = conn
        .prepare_cached("SELECT kind, deleted FROM messages WHERE conv_id = ?1 AND seq = ?2")?
        .query_row(params![conv, seq], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match found {
        Some((kind @ (MessageKind::Text | MessageKind::File), false)) => Some(kind),
        _ => None,
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
    /// [`Store::share_file`]; changes too, with [`StoreError::NoSuchMessage`]; use
    /// [`Store::change_message`].
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
        if kind.is_change() {
            return Err(StoreError::NoSuchMessage);
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
    /// resend is recognised, a missing conversation, a file or change message, or a reply to
    /// a message that is not there ([`StoreError::NoSuchMessage`]) is refused, and such a
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
            if m.kind.is_change() {
                outcomes.push(Err(StoreError::NoSuchMessage));
                continue;
            }
            match append_new(&tx, m) {
                // Found missing before anything was written.
                Err(e @ (StoreError::NoSuchConversation | StoreError::NoSuchMessage)) => {
                    outcomes.push(Err(e))
                }
                Err(other) => return Err(other),
                Ok(appended) => outcomes.push(Ok(appended)),
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// Changes message `target` of `conv` on behalf of `actor` and appends the change as an
    /// entry of the sequence (see the module documentation), in one transaction.
    ///
    /// Idempotent on `(conv, actor, client_id)` like a message: a resend gets the original
    /// entry back with `duplicate` (and changes nothing, so a resent reaction does not toggle
    /// back). The target must be a text or file message that was not deleted, and only text
    /// can be edited ([`StoreError::NoSuchMessage`] otherwise); a reaction beyond
    /// [`MAX_REACTIONS`] different ones is refused ([`StoreError::TooManyReactions`]).
    ///
    /// Who may change what is the caller's policy and is not checked here. A deletion
    /// empties the text (the index forgets it), and removes the file row, the reactions and
    /// the mentions; what the rows held may stay in the database file's free space or its
    /// write-ahead log until [`Store::scrub`].
    pub fn change_message(
        &mut self,
        conv: ConvId,
        actor: UserId,
        client_id: &[u8; 16],
        target: u64,
        op: ChangeOp<'_>,
        now_ms: i64,
    ) -> Result<Changed, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((appended, kind)) = posted(&tx, conv, actor, client_id)? {
            return Ok(Changed {
                appended,
                kind,
                unshared: None,
            });
        }
        let Some(target_kind) = target_of(&tx, conv, target)? else {
            return Err(StoreError::NoSuchMessage);
        };
        let mut unshared = None;
        let (kind, text) = match op {
            ChangeOp::Edit {
                text,
                mentions,
                everyone,
            } => {
                if target_kind != MessageKind::Text {
                    return Err(StoreError::NoSuchMessage);
                }
                tx.prepare_cached(
                    "UPDATE messages SET text = ?3, edited_ms = ?4 WHERE conv_id = ?1 AND seq = ?2",
                )?
                .execute(params![conv, target, text, now_ms])?;
                set_mentions(&tx, conv, target, mentions, everyone)?;
                (MessageKind::Edit, "")
            }
            ChangeOp::Delete => {
                tx.execute(
                    "UPDATE messages SET text = '', deleted = 1 WHERE conv_id = ?1 AND seq = ?2",
                    params![conv, target],
                )?;
                tx.execute(
                    "DELETE FROM reactions WHERE conv_id = ?1 AND seq = ?2",
                    params![conv, target],
                )?;
                tx.execute(
                    "DELETE FROM mentions WHERE conv_id = ?1 AND seq = ?2",
                    params![conv, target],
                )?;
                let hash: Option<[u8; 32]> = tx
                    .query_row(
                        "DELETE FROM files WHERE conv_id = ?1 AND seq = ?2 RETURNING hash",
                        params![conv, target],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(hash) = hash {
                    if !references::hash_is_shared(&tx, &hash)? {
                        unshared = Some(hash);
                    }
                }
                (MessageKind::Delete, "")
            }
            ChangeOp::React { emoji } => (react(&tx, conv, actor, target, emoji)?, emoji),
        };
        let appended = insert(
            &tx,
            &Entry {
                conv,
                sender: actor,
                client_id,
                kind,
                text,
                now_ms,
                reply_to: None,
                target: Some(target),
            },
        )?;
        tx.commit()?;
        Ok(Changed {
            appended,
            kind,
            unshared,
        })
    }
}

/// Toggles `actor`'s reaction `emoji` on message `target`: React if added, Unreact if taken
/// back.
fn react(
    conn: &Connection,
    conv: ConvId,
    actor: UserId,
    target: u64,
    emoji: &str,
) -> Result<MessageKind, StoreError> {
    let removed = conn.execute(
        "DELETE FROM reactions WHERE conv_id = ?1 AND seq = ?2 AND user_id = ?3 AND emoji = ?4",
        params![conv, target, actor, emoji],
    )?;
    if removed > 0 {
        return Ok(MessageKind::Unreact);
    }
    let (kinds, given): (usize, bool) = conn.query_row(
        "SELECT COUNT(DISTINCT emoji), COALESCE(MAX(emoji = ?3), 0)
         FROM reactions WHERE conv_id = ?1 AND seq = ?2",
        params![conv, target, emoji],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if kinds >= MAX_REACTIONS && !given {
        return Err(StoreError::TooManyReactions(kinds));
    }
    conn.execute(
        "INSERT INTO reactions (conv_id, seq, user_id, emoji) VALUES (?1, ?2, ?3, ?4)",
        params![conv, target, actor, emoji],
    )?;
    Ok(MessageKind::React)
}

/// Reads each message's reactions and mentions (of the message whose state it shows).
pub(crate) fn decorate(
    conn: &Connection,
    messages: &mut [StoredMessage],
) -> Result<(), StoreError> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut reactions = conn.prepare_cached(
        "SELECT emoji, COUNT(*) FROM reactions WHERE conv_id = ?1 AND seq = ?2
         GROUP BY emoji ORDER BY MIN(id)",
    )?;
    let mut mentions = conn.prepare_cached(
        "SELECT u.username FROM mentions mn LEFT JOIN users u ON u.id = mn.user_id
         WHERE mn.conv_id = ?1 AND mn.seq = ?2 ORDER BY mn.rowid",
    )?;
    for m in messages.iter_mut() {
        if !matches!(m.kind, MessageKind::Text | MessageKind::File) && !m.kind.is_change() {
            continue;
        }
        let at = params![m.conv_id, m.state_seq()];
        m.reactions = reactions
            .query_map(at, |row| {
                Ok(ReactionCount {
                    emoji: row.get(0)?,
                    count: row.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let names: Vec<Option<String>> = mentions
            .query_map(at, |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        m.mentions_room = names.iter().any(Option::is_none);
        m.mentions = names.into_iter().flatten().collect();
    }
    Ok(())
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
    let mut messages = stmt
        .query_map(params![conv, after_seq, limit], message_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    decorate(conn, &mut messages)?;
    Ok(messages)
}

/// See [`Reads::messages_before`](crate::Reads::messages_before).
pub(crate) fn messages_before(
    conn: &Connection,
    conv: ConvId,
    before_seq: u64,
    floor: u64,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS}
         FROM messages m {MESSAGE_JOINS}
         WHERE m.conv_id = ?1 AND m.seq < ?2 AND m.seq > ?3 AND m.kind < 3
         ORDER BY m.seq DESC LIMIT ?4"
    ))?;
    let mut messages = stmt
        .query_map(params![conv, before_seq, floor, limit], message_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    messages.reverse();
    decorate(conn, &mut messages)?;
    Ok(messages)
}

/// See [`Reads::message`](crate::Reads::message).
pub(crate) fn message(
    conn: &Connection,
    conv: ConvId,
    seq: u64,
) -> Result<Option<StoredMessage>, StoreError> {
    let mut found = messages_after(conn, conv, seq.saturating_sub(1), 1)?;
    Ok(found.pop().filter(|m| m.seq == seq))
}

/// See [`Reads::last_message_of`](crate::Reads::last_message_of).
pub(crate) fn last_message_of(
    conn: &Connection,
    conv: ConvId,
    sender: UserId,
) -> Result<Option<u64>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT seq FROM messages
             WHERE conv_id = ?1 AND sender_id = ?2 AND kind = ?3 AND deleted = 0
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![conv, sender, MessageKind::Text], |row| row.get(0))
        .optional()?;
    Ok(found)
}
