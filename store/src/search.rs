//! Full-text search over message history (SQLite FTS5).

use rusqlite::params;

use crate::rows::{message_from_row, MESSAGE_COLUMNS, MESSAGE_JOINS};
use crate::{MessageKind, Store, StoreError, StoredMessage, UserId};

/// Turns user input into an FTS5 query that matches messages containing
/// every word, with no FTS syntax (`AND`, `NEAR(`, `*`, column filters, ...)
/// ever taking effect: each whitespace-separated word becomes a quoted
/// phrase, with embedded quotes doubled as FTS5 requires. Control
/// characters separate words too: FTS5 reads a NUL as the end of the query,
/// which would leave a phrase unterminated, and no control character can be
/// part of an indexed token anyway.
///
/// Returns `None` when there is nothing to search for.
fn fts_query(input: &str) -> Option<String> {
    let phrases: Vec<String> = input
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" "))
}

impl Store {
    /// Text messages and shared file names matching every word of `query`,
    /// newest first, from the conversations `user` is currently a member of.
    ///
    /// `query` is plain words, never FTS syntax; an empty query matches
    /// nothing.
    pub fn search(
        &self,
        user: UserId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages_fts f
             JOIN messages m ON m.id = f.rowid
             JOIN members mb ON mb.conv_id = m.conv_id AND mb.user_id = ?1
             {MESSAGE_JOINS}
             WHERE messages_fts MATCH ?2 AND m.kind IN (?3, ?4)
             ORDER BY m.ts_ms DESC, m.seq DESC
             LIMIT ?5"
        ))?;
        let found = stmt
            .query_map(
                params![user, fts, MessageKind::Text, MessageKind::File, limit],
                message_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn words_become_quoted_phrases() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("\0\t"), None);
        assert_eq!(fts_query("a\0b"), Some(r#""a" "b""#.to_owned()));
        assert_eq!(
            fts_query("hello AND (x"),
            Some(r#""hello" "AND" "(x""#.to_owned())
        );
        assert_eq!(
            fts_query(r#"say "hi""#),
            Some(r#""say" """hi""""#.to_owned())
        );
    }
}
