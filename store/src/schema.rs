//! Versioned schema: `PRAGMA user_version` records how many migrations ran.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// Migration `i` (0-based) moves the schema from version `i` to `i + 1`.
/// Append new migrations; never edit one that has shipped, because existing
/// files have already run it.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    //
    // Enum columns hold the integers defined in `model.rs`:
    // kind 0 = Room / Text, 1 = Dm / System; role 0..2 = Member..Owner.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT    NOT NULL COLLATE NOCASE UNIQUE,
        display       TEXT    NOT NULL,
        password_hash TEXT    NOT NULL,
        created_ms    INTEGER NOT NULL
    );

    CREATE TABLE sessions (
        token_hash   BLOB    PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_ms   INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_user ON sessions(user_id);

    -- DMs share this table so that messages, cursors and search treat both
    -- kinds alike; dm_lo/dm_hi (NULL for rooms) identify a DM's pair.
    CREATE TABLE conversations (
        id         INTEGER PRIMARY KEY,
        kind       INTEGER NOT NULL,
        name       TEXT    NOT NULL COLLATE NOCASE,
        topic      TEXT    NOT NULL DEFAULT '',
        last_seq   INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        dm_lo      INTEGER REFERENCES users(id),
        dm_hi      INTEGER REFERENCES users(id),
        UNIQUE (kind, name),
        UNIQUE (dm_lo, dm_hi)
    );

    -- `id` records insertion order, which breaks joined_ms ties when
    -- choosing a new owner.
    CREATE TABLE members (
        id        INTEGER PRIMARY KEY,
        conv_id   INTEGER NOT NULL REFERENCES conversations(id),
        user_id   INTEGER NOT NULL REFERENCES users(id),
        role      INTEGER NOT NULL,
        joined_ms INTEGER NOT NULL,
        read_seq  INTEGER NOT NULL,
        muted     INTEGER NOT NULL DEFAULT 0,
        UNIQUE (conv_id, user_id)
    );
    CREATE INDEX members_by_user ON members(user_id);

    -- `id` is an explicit INTEGER PRIMARY KEY rather than (conv_id, seq)
    -- because the FTS index refers to rows by rowid, and VACUUM may renumber
    -- rowids that are not aliased by an INTEGER PRIMARY KEY.
    CREATE TABLE messages (
        id        INTEGER PRIMARY KEY,
        conv_id   INTEGER NOT NULL REFERENCES conversations(id),
        seq       INTEGER NOT NULL,
        sender_id INTEGER NOT NULL REFERENCES users(id),
        client_id BLOB    NOT NULL,
        ts_ms     INTEGER NOT NULL,
        kind      INTEGER NOT NULL,
        text      TEXT    NOT NULL,
        UNIQUE (conv_id, seq),
        UNIQUE (conv_id, sender_id, client_id)
    );

    -- External content: the text lives once, in `messages`. Only Text
    -- messages are indexed, so both triggers filter on kind.
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text,
        content = 'messages',
        content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.kind = 0 BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    -- Messages are append-only today; this keeps the index consistent if a
    -- future retention policy deletes rows.
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.kind = 0 BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END;

    INSERT INTO conversations (kind, name, created_ms) VALUES (0, 'general', 0);
    "#,
];

/// The schema version this build writes and understands.
pub(crate) const SUPPORTED_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`SUPPORTED_VERSION`].
///
/// Each migration commits together with its `user_version` bump, so a crash
/// mid-upgrade leaves the file at a well-defined earlier version. The version
/// is read inside the write transaction so that two processes opening a new
/// file at once cannot both run the same migration.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if found > SUPPORTED_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SUPPORTED_VERSION,
            });
        }
        let index = usize::try_from(found)
            .map_err(|_| StoreError::Corrupt(format!("negative schema version {found}")))?;
        let Some(sql) = MIGRATIONS.get(index) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}
