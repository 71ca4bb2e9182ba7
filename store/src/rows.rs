//! Row mappers: the SELECT column lists and the functions that turn the rows
//! they produce into model types.
//!
//! Each list and its mapper live side by side so that their column order is
//! changed in one place. Queries in the other modules splice a list into
//! their SQL (`SELECT {CONV_COLUMNS} ...`) and hand the matching mapper to
//! rusqlite.

use rusqlite::Row;

use crate::{Conversation, Quoted, SharedFile, StoredMessage, User};

/// Columns read by [`user_from_row`], from `users` unaliased.
pub(crate) const USER_COLUMNS: &str = "id, username, display, created_ms";

pub(crate) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        display: row.get(2)?,
        created_ms: row.get(3)?,
    })
}

/// Columns read by [`conv_from_row`], qualified with the alias `c`.
pub(crate) const CONV_COLUMNS: &str =
    "c.id, c.kind, c.name, c.topic, c.last_seq, c.created_ms, c.private, c.full_history, c.archived";

/// How many columns [`CONV_COLUMNS`] has (queries read theirs after them).
pub(crate) const CONV_WIDTH: usize = 9;

pub(crate) fn conv_from_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        kind: row.get(1)?,
        name: row.get(2)?,
        topic: row.get(3)?,
        last_seq: row.get(4)?,
        created_ms: row.get(5)?,
        private: row.get(6)?,
        full_history: row.get(7)?,
        archived: row.get(8)?,
    })
}

/// Columns read by [`file_from_row`]; expects `files sf` joined with the
/// uploader as `users su`.
pub(crate) const FILE_COLUMNS: &str =
    "sf.id, sf.conv_id, sf.seq, sf.hash, sf.name, sf.size, sf.uploader_id, su.username, sf.created_ms";

/// Reads the [`FILE_COLUMNS`] that start at column `at`, so that message
/// queries can append them to their own columns.
pub(crate) fn file_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<SharedFile> {
    Ok(SharedFile {
        id: row.get(at)?,
        conv_id: row.get(at + 1)?,
        seq: row.get(at + 2)?,
        hash: row.get(at + 3)?,
        name: row.get(at + 4)?,
        size: row.get(at + 5)?,
        uploader: row.get(at + 6)?,
        uploader_name: row.get(at + 7)?,
        created_ms: row.get(at + 8)?,
    })
}

/// Longest quote of the message a reply answers, in characters (the protocol's
/// `MAX_QUOTE_CHARS`).
pub const QUOTE_CHARS: usize = 200;

/// Columns read by [`message_from_row`]; expects `messages m` followed by
/// [`MESSAGE_JOINS`] (no `, ` inside an expression: the tests count columns by it). The entry's own facts come from `m`; the state it shows (text, file,
/// edited, deleted, the message it answers) from `t`, which is the target of a change entry
/// and `m` itself otherwise.
pub(crate) const MESSAGE_COLUMNS: &str = concat!(
    "m.id, m.conv_id, m.seq, m.sender_id, u.username, u.display, m.client_id, m.ts_ms, m.kind, ",
    "t.text, m.target, CASE WHEN m.kind IN (5,6) THEN m.text END, t.edited_ms, t.deleted, ",
    // 200: `QUOTE_CHARS`, which `concat!` cannot name; a test below checks.
    "r.seq, ru.username, substr(r.text,1,200), r.deleted, ",
    // Must match `FILE_COLUMNS`; a test below checks.
    "sf.id, sf.conv_id, sf.seq, sf.hash, sf.name, sf.size, sf.uploader_id, su.username, sf.created_ms"
);

/// Joins [`MESSAGE_COLUMNS`] needs after `messages m`: the sender, the message whose state
/// is shown, the message that one answers, and its shared file (NULL columns where there is
/// none).
pub(crate) const MESSAGE_JOINS: &str = "JOIN users u ON u.id = m.sender_id
     JOIN messages t ON t.conv_id = m.conv_id AND t.seq = COALESCE(m.target, m.seq)
     LEFT JOIN messages r ON r.conv_id = t.conv_id AND r.seq = t.reply_to
     LEFT JOIN users ru ON ru.id = r.sender_id
     LEFT JOIN files sf ON sf.conv_id = t.conv_id AND sf.seq = t.seq
     LEFT JOIN users su ON su.id = sf.uploader_id";

/// Index of the first quote column in [`MESSAGE_COLUMNS`].
const QUOTE_OFFSET: usize = 14;
/// Index of the first file column in [`MESSAGE_COLUMNS`].
const FILE_OFFSET: usize = 18;

/// A message row; its reactions and mentions are read separately (`messages::decorate`).
pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let file_id: Option<i64> = row.get(FILE_OFFSET)?;
    let quoted: Option<u64> = row.get(QUOTE_OFFSET)?;
    let reply_to = match quoted {
        Some(seq) => Some(Quoted {
            seq,
            sender: row
                .get::<_, Option<String>>(QUOTE_OFFSET + 1)?
                .unwrap_or_default(),
            text: row.get(QUOTE_OFFSET + 2)?,
            deleted: row.get(QUOTE_OFFSET + 3)?,
        }),
        None => None,
    };
    Ok(StoredMessage {
        position: row.get(0)?,
        conv_id: row.get(1)?,
        seq: row.get(2)?,
        sender_id: row.get(3)?,
        sender: row.get(4)?,
        sender_display: row.get(5)?,
        client_id: row.get(6)?,
        ts_ms: row.get(7)?,
        kind: row.get(8)?,
        text: row.get(9)?,
        target: row.get(10)?,
        emoji: row.get(11)?,
        edited_ms: row.get(12)?,
        deleted: row.get(13)?,
        reply_to,
        file: file_id
            .map(|_| file_from_row(row, FILE_OFFSET))
            .transpose()?,
        reactions: Vec::new(),
        mentions: Vec::new(),
        mentions_room: false,
    })
}

#[cfg(test)]
mod tests {
    use super::{
        CONV_COLUMNS, CONV_WIDTH, FILE_COLUMNS, FILE_OFFSET, MESSAGE_COLUMNS, QUOTE_CHARS,
        QUOTE_OFFSET,
    };

    #[test]
    fn message_columns_end_with_file_columns() {
        assert!(MESSAGE_COLUMNS.ends_with(FILE_COLUMNS));
        let before = MESSAGE_COLUMNS.split(", ").count() - FILE_COLUMNS.split(", ").count();
        assert_eq!(before, FILE_OFFSET);
        let columns: Vec<&str> = MESSAGE_COLUMNS.split(", ").collect();
        assert_eq!(columns[QUOTE_OFFSET], "r.seq");
        assert!(MESSAGE_COLUMNS.contains(&format!("substr(r.text,1,{QUOTE_CHARS})")));
        assert_eq!(CONV_COLUMNS.split(", ").count(), CONV_WIDTH);
    }
}
