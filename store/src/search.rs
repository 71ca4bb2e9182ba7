//! Full-text search over message history (SQLite FTS5).

use rusqlite::{params, Connection};

use crate::messages::decorate;
use crate::rows::{message_from_row, MESSAGE_COLUMNS, MESSAGE_JOINS};
use crate::{MessageKind, StoreError, StoredMessage, UserId};

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

/// The search query: `?1` user, `?2` FTS query, `?3` exclusive upper bound on the message
/// row, `?4`/`?5` the kinds indexed, `?6` the limit. A member reads only what their
/// membership lets them (`since_seq`: a private room's history before they joined is not
/// theirs).
fn search_sql() -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS}
         FROM messages_fts f
         JOIN messages m ON m.id = f.rowid
         JOIN members mb ON mb.conv_id = m.conv_id AND mb.user_id = ?1
         {MESSAGE_JOINS}
         WHERE messages_fts MATCH ?2 AND f.rowid < ?3 AND m.kind IN (?4, ?5)
           AND m.seq > mb.since_seq
         ORDER BY f.rowid DESC
         LIMIT ?6"
    )
}

/// See [`Reads::search`](crate::Reads::search).
///
/// Walks the full-text index from the newest match down (`ORDER BY f.rowid DESC`, which FTS5
/// serves in that order) and stops at `limit` hits in the user's conversations, so a page
/// costs what it finds, not everything that matches.
pub(crate) fn search(
    conn: &Connection,
    user: UserId,
    query: &str,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let Some(fts) = fts_query(query) else {
        return Ok(Vec::new());
    };
    let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(&search_sql())?;
    let mut found = stmt
        .query_map(
            params![
                user,
                fts,
                before,
                MessageKind::Text,
                MessageKind::File,
                limit
            ],
            message_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    decorate(conn, &mut found)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::fts_query;
    use crate::Store;

    /// A page of results is found by walking the index newest first and stopping at the
    /// limit: no sort of everything that matches (what made a common word slow).
    #[test]
    fn search_walks_the_index_in_order_without_sorting() {
        let s = Store::open_in_memory().unwrap();
        let mut plan = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::search_sql()))
            .unwrap();
        let steps: Vec<String> = plan
            .query_map(rusqlite::params![1, "\"x\"", 100, 0, 2, 10], |row| {
                row.get(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let steps = steps.join("; ");
        assert!(!steps.contains("TEMP B-TREE"), "{steps}");
        assert!(steps.starts_with("SCAN f VIRTUAL TABLE"), "{steps}");
    }

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
