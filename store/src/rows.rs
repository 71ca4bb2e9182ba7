//! Row mappers: the SELECT column lists and the functions that turn the rows
//! they produce into model types.
//!
//! Each list and its mapper live side by side so that their column order is
//! changed in one place. Queries in the other modules splice a list into
//! their SQL (`SELECT {CONV_COLUMNS} ...`) and hand the matching mapper to
//! rusqlite.

use rusqlite::Row;

use crate::{Conversation, SharedFile, StoredMessage, User};

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
pub(crate) const CONV_COLUMNS: &str = "c.id, c.kind, c.name, c.topic, c.last_seq, c.created_ms";

pub(crate) fn conv_from_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        kind: row.get(1)?,
        name: row.get(2)?,
        topic: row.get(3)?,
        last_seq: row.get(4)?,
        created_ms: row.get(5)?,
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

/// Columns read by [`message_from_row`]; expects `messages m` followed by
/// [`MESSAGE_JOINS`].
pub(crate) const MESSAGE_COLUMNS: &str = concat!(
    "m.id, m.conv_id, m.seq, m.sender_id, u.username, u.display, m.client_id, m.ts_ms, m.kind, ",
    "m.text, ",
    // Must match `FILE_COLUMNS`, which `concat!` cannot name; a test below checks.
    "sf.id, sf.conv_id, sf.seq, sf.hash, sf.name, sf.size, sf.uploader_id, su.username, sf.created_ms"
);

/// Joins [`MESSAGE_COLUMNS`] needs after `messages m`: the sender, and the
/// shared file (NULL columns for messages that are not File messages).
pub(crate) const MESSAGE_JOINS: &str = "JOIN users u ON u.id = m.sender_id
     LEFT JOIN files sf ON sf.conv_id = m.conv_id AND sf.seq = m.seq
     LEFT JOIN users su ON su.id = sf.uploader_id";

/// Index of the first file column in [`MESSAGE_COLUMNS`].
const FILE_OFFSET: usize = 10;

pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let file_id: Option<i64> = row.get(FILE_OFFSET)?;
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
        file: file_id
            .map(|_| file_from_row(row, FILE_OFFSET))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::{FILE_COLUMNS, FILE_OFFSET, MESSAGE_COLUMNS};

    #[test]
    fn message_columns_end_with_file_columns() {
        assert!(MESSAGE_COLUMNS.ends_with(FILE_COLUMNS));
        let before = MESSAGE_COLUMNS.split(", ").count() - FILE_COLUMNS.split(", ").count();
        assert_eq!(before, FILE_OFFSET);
    }
}
