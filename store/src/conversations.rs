//! Lookups shared by rooms and DMs, and a user's conversation list.

use rusqlite::{Connection, OptionalExtension};

use crate::rows::{conv_from_row, CONV_COLUMNS, CONV_WIDTH};
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
    //
    // Unread counts what is shown as a message: the partial index `messages_shown` holds
    // exactly those rows, so the count walks the index over the unread range only. Mentions
    // are the user's rows and `@room` rows (user NULL) after the cursor; the user's own
    // messages are never after their cursor (posting moves it).
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONV_COLUMNS}, m.role, m.read_seq, m.muted, p.username,
                (SELECT COUNT(*) FROM messages x
                 WHERE x.conv_id = c.id AND x.seq > m.read_seq AND x.kind < 3
                   AND x.deleted = 0),
                (SELECT COUNT(*) FROM mentions n
                 WHERE n.conv_id = c.id AND n.user_id = ?1 AND n.seq > m.read_seq)
                + (SELECT COUNT(*) FROM mentions n
                 WHERE n.conv_id = c.id AND n.user_id IS NULL AND n.seq > m.read_seq),
                pm.read_seq, p.receipts
         FROM members m
         JOIN conversations c ON c.id = m.conv_id
         LEFT JOIN users p
           ON p.id = CASE WHEN c.dm_lo = ?1 THEN c.dm_hi ELSE c.dm_lo END
         LEFT JOIN members pm
           ON pm.conv_id = c.id AND pm.user_id = p.id AND p.id <> ?1
         WHERE m.user_id = ?1
         ORDER BY c.kind, COALESCE(p.username, c.name) COLLATE NOCASE, c.id"
    ))?;
    let at = CONV_WIDTH;
    let summaries = stmt
        .query_map([user], |row| {
            let conv = conv_from_row(row)?;
            let read_seq: u64 = row.get(at + 1)?;
            let peer: Option<String> = row.get(at + 3)?;
            let peer_read: Option<u64> = row.get(at + 6)?;
            let peer_receipts: Option<bool> = row.get(at + 7)?;
            let dm = conv.kind == ConvKind::Dm;
            Ok(ConvSummary {
                unread: row.get(at + 4)?,
                mentions: row.get(at + 5)?,
                peer: if dm { peer } else { None },
                peer_read: match (dm, peer_read) {
                    (true, Some(seq)) => Some((seq, peer_receipts.unwrap_or(false))),
                    _ => None,
                },
                conv,
                role: row.get(at)?,
                read_seq,
                muted: row.get(at + 2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(summaries)
}

#[cfg(test)]
mod tests {
    use crate::Store;

    /// Unread counts walk the partial index of shown messages over the unread range only,
    /// never the table (a user back from a long absence would pay for every row).
    #[test]
    fn unread_counts_use_the_index_of_shown_messages() {
        let s = Store::open_in_memory().unwrap();
        let mut plan = s
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM messages x
                 WHERE x.conv_id = ?1 AND x.seq > ?2 AND x.kind < 3 AND x.deleted = 0",
            )
            .unwrap();
        let steps: Vec<String> = plan
            .query_map(rusqlite::params![1, 5], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let steps = steps.join("; ");
        assert!(steps.contains("COVERING INDEX messages_shown"), "{steps}");
    }
}
