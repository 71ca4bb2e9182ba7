//! Opening the database and whole-file checks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use crate::pool::{ReadPool, Source, READERS};
use crate::tuning::{tune, BUSY_TIMEOUT};
use crate::{lookalike, schema, StoreError};

/// The coordinator's persistent state, behind a domain API.
///
/// All SQL lives in this crate. Methods taking `&mut self` write; each runs
/// in a single transaction, so a failure leaves nothing half-done.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    /// Existing accounts found to look alike at open (see [`Store::lookalike_clashes`]).
    pub(crate) clashes: Vec<lookalike::Clash>,
    /// Read-only connections to the same database, for reads beside the writer.
    reads: Arc<ReadPool>,
}

impl Store {
    /// Opens (creating if needed) the database file at `path` and upgrades
    /// its schema.
    ///
    /// Durability: the file uses WAL journaling with `synchronous=FULL`, so
    /// every committed transaction is fsynced before the commit returns.
    /// Write methods such as [`Store::append_message`] return only after
    /// their commit, so anything the coordinator acknowledges to a client has
    /// reached stable storage and survives a crash or power loss.
    ///
    /// Fails with [`StoreError::SchemaTooNew`] if a newer lanchat wrote the
    /// file. The usernames' look-alike keys are recomputed on the way (see
    /// [`Store::lookalike_clashes`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::setup(Source::File(path.to_path_buf()))
    }

    /// Opens a private, empty in-memory database (for tests and tools);
    /// nothing is persisted. Its [`Store::read_pool`] reads it too (SQLite's shared cache
    /// under a name unique to this store).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::setup(Source::memory())
    }

    fn setup(source: Source) -> Result<Store, StoreError> {
        let mut conn = source.open()?;
        tune(&conn)?;
        // WAL lets reads proceed during a write; in-memory databases silently
        // keep their "memory" journal, which is fine for tests.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Off by default in SQLite, per connection, and a no-op inside a
        // transaction, so it must be set here before anything else runs.
        conn.pragma_update(None, "foreign_keys", true)?;
        // What a write frees (a deleted message's text, the old text of an edit, index
        // entries) is overwritten with zeros instead of left in free space. The write-ahead
        // log still holds older copies of changed pages until `scrub`.
        conn.pragma_update(None, "secure_delete", true)?;
        schema::migrate(&mut conn)?;
        // Opened after the writer: the file exists, is in WAL mode and has its schema.
        let reads = Arc::new(ReadPool::open(&source, READERS)?);
        let clashes = lookalike::rebuild(&mut conn)?;
        Ok(Store {
            conn,
            clashes,
            reads,
        })
    }

    /// The read-only connections to this database: reads that run beside this writer, each
    /// on a consistent snapshot.
    pub fn read_pool(&self) -> Arc<ReadPool> {
        self.reads.clone()
    }

    /// Caps the database file at its current size plus `extra_pages` pages (SQLite's
    /// `max_page_count`); writes that need more fail with "database or disk is full". This is
    /// how the tests give the coordinator a full disk; an operator could use it as a quota.
    pub fn cap_size(&self, extra_pages: u64) -> Result<(), StoreError> {
        let pages: u64 = self
            .conn
            .query_row("PRAGMA page_count", [], |row| row.get(0))?;
        self.conn
            .pragma_update(None, "max_page_count", pages + extra_pages)?;
        Ok(())
    }

    /// Moves everything in the write-ahead log into the database file and empties the log,
    /// so that no older copy of a page (with a deleted message's text, say) is left in it;
    /// with `secure_delete` the database file keeps none either. Never waits: if a reader
    /// still needs older pages of the log, or another connection writes, nothing is done and
    /// this returns `false` (try again later); `true` once the log is empty.
    pub fn scrub(&self) -> Result<bool, StoreError> {
        self.conn.busy_timeout(Duration::ZERO)?;
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        match result {
            Ok(busy) => Ok(busy == 0),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs SQLite's full `PRAGMA integrity_check`.
    ///
    /// Returns [`StoreError::Corrupt`] with SQLite's findings if the file is
    /// damaged. It reads every page, so call it at startup or on demand, not
    /// per request.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let findings = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if findings.len() == 1 && findings[0] == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(findings.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::config::DbConfig;
    use rusqlite::{params, StatementStatus};

    use super::Store;
    use crate::MessageKind;

    #[test]
    fn file_database_uses_durable_settings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let pragma = |name: &str| -> String {
            store
                .conn
                .pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), r#"Text("wal")"#);
        // 2 = FULL
        assert_eq!(pragma("synchronous"), "Integer(2)");
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
        assert_eq!(pragma("busy_timeout"), "Integer(5000)");
        assert_eq!(
            pragma("user_version"),
            format!("Integer({})", crate::schema::SUPPORTED_VERSION)
        );
    }

    /// The fan-out reads a stored message back (`LIMIT ?`) and a room's members (`ORDER BY`)
    /// on every message; with the bundled SQLite's STAT4 such queries were recompiled on every
    /// call until the query planner stability guarantee was turned on.
    #[test]
    fn queries_with_bound_limits_stay_compiled() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        assert!(store
            .conn
            .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
            .unwrap());
        let alice = store.create_user("alice", "Alice", "h", 1).unwrap().id;
        let room = store.create_room("lobby", alice, 1).unwrap();
        store
            .append_message(room.id, alice, &[1; 16], MessageKind::Text, "hi", 2)
            .unwrap();
        let sql = "SELECT seq FROM messages WHERE conv_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
        for after in 0..3i64 {
            let mut stmt = store.conn.prepare_cached(sql).unwrap();
            let seqs: Vec<i64> = stmt
                .query_map(params![room.id, after, 1], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(seqs.len(), usize::from(after == 0));
        }
        let stmt = store.conn.prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    }
}
