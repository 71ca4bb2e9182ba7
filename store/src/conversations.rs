//! Lookups shared by rooms and DMs, and a user's conversation list.

use rusqlite::{Connection, OptionalExtension};

use crate::rows::{conv_from_row, CONV_COLUMNS};
use crate::{ConvId, ConvKind, ConvSummary, Conversation, StoreError, UserId};

/// Loads one conversation; takes a plain connection so it also works inside
/// a transaction (which derefs to one).
pub(crate) fn load_conversation(
    conn: &Connection,
    id: ConvId,
) -> Result<Option<Conversation>, StoreError> {
    let conv = conn
        .prepare_cached(&format!(
            "SELECT {CONV_COLUMNS} FROM conversations c WHERE c.id = ?1"
        ))?
        .query_row([id], conv_from_row)
        .optional()?;
    Ok(conv)
}

/// See [`Reads::conversations_of`](crate::Reads::conversations_of).
pub(crate) fn conversations_of(
    conn: &Connection,
    user: UserId,
) -> Result<Vec<ConvSummary>, StoreError> {
    // For a DM the peer is whichever of the pair is not `user`; for notes
    // to self both are `user`, which is the answer we want.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONV_COLUMNS}, m.role, m.read_seq, m.muted, p.username
         FROM members m
         JOIN conversations c ON c.id = m.conv_id
         LEFT JOIN users p
           ON p.id = CASE WHEN c.dm_lo = ?1 THEN c.dm_hi ELSE c.dm_lo END
         WHERE m.user_id = ?1
         ORDER BY c.kind, COALESCE(p.username, c.name) COLLATE NOCASE, c.id"
    ))?;
    let summaries = stmt
        .query_map([user], |row| {
            let conv = conv_from_row(row)?;
            let read_seq: u64 = row.get(7)?;
            let peer: Option<String> = row.get(9)?;
            Ok(ConvSummary {
                unread: conv.last_seq.saturating_sub(read_seq),
                peer: if conv.kind == ConvKind::Dm {
                    peer
                } else {
                    None
                },
                conv,
                role: row.get(6)?,
                read_seq,
                muted: row.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(summaries)
}
