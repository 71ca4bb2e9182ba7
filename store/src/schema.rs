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
    // Version 2: shared files; message kind 2 = File.
    //
    // One row per share. The content is stored outside SQLite keyed by its
    // BLAKE3 hash, so the same hash may appear in many rows; the index on
    // `hash` answers "is this blob still referenced". (conv_id, seq) points
    // at the File message announcing the share.
    r#"
    CREATE TABLE files (
        id          INTEGER PRIMARY KEY,
        conv_id     INTEGER NOT NULL REFERENCES conversations(id),
        seq         INTEGER NOT NULL,
        hash        BLOB    NOT NULL CHECK (length(hash) = 32),
        name        TEXT    NOT NULL,
        size        INTEGER NOT NULL CHECK (size >= 0),
        uploader_id INTEGER NOT NULL REFERENCES users(id),
        created_ms  INTEGER NOT NULL,
        UNIQUE (conv_id, seq),
        FOREIGN KEY (conv_id, seq) REFERENCES messages(conv_id, seq)
    );
    CREATE INDEX files_by_hash ON files(hash);

    -- File names become searchable: index kind 2 alongside Text. No File
    -- messages exist before this version, so the index needs no backfill.
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.kind IN (0, 2) BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.kind IN (0, 2) BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END;
    "#,
    // Version 3: look-alike keys of usernames (see `lookalike.rs`). The primary key lets each
    // key belong to one account; the rows are recomputed from `users` at every open, so this
    // migration only creates the table.
    r#"
    CREATE TABLE name_keys (
        key     TEXT    PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX name_keys_by_user ON name_keys(user_id);
    "#,
    // Version 4: OPAQUE records (RFC 9807). An account registered with OPAQUE has its record
    // here and an empty password_hash; one from before keeps only its Argon2 hash (and a NULL
    // record) until its next login upgrades it, which also empties the hash.
    r#"
    ALTER TABLE users ADD COLUMN opaque_record BLOB;
    "#,
    // Version 5: conversations an office expects.
    //
    // Messages: kinds 3 = Edit, 4 = Delete, 5 = React, 6 = Unreact are entries of the
    // sequence that change the earlier message `target` (whose row is updated in place, so
    // history and search show it as it is now); a React/Unreact entry's text is the emoji, the
    // others' is empty. `reply_to` is the seq a reply answers. A deleted message keeps its row
    // (the sequence has no holes) with an empty text and `deleted = 1`.
    //
    // The full-text index holds exactly the Text and File rows with a text: the triggers are
    // rebuilt to follow edits and deletions, and FTS5's secure-delete removes a deleted
    // message's words from the index at once instead of leaving them until a merge.
    //
    // Rooms: `private` (invite-only), `full_history` (new members of a private room read it
    // all; otherwise from when they joined: `members.since_seq`), `archived` (read-only).
    // Invitations and bans per room. Users: typing indicators and read receipts on or off.
    r#"
    ALTER TABLE messages ADD COLUMN reply_to INTEGER;
    ALTER TABLE messages ADD COLUMN target INTEGER;
    ALTER TABLE messages ADD COLUMN edited_ms INTEGER;
    ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    -- A sender's last message in a conversation (an edit without a target).
    CREATE INDEX messages_by_sender ON messages(conv_id, sender_id, seq);
    -- Unread counts: what is shown as a message (changes and deleted ones are not).
    -- (kind and deleted ride along so that the count never reads the table.)
    CREATE INDEX messages_shown ON messages(conv_id, seq, kind, deleted)
    WHERE kind < 3 AND deleted = 0;

    CREATE TABLE reactions (
        id      INTEGER PRIMARY KEY,
        conv_id INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        emoji   TEXT    NOT NULL,
        UNIQUE (conv_id, seq, user_id, emoji),
        FOREIGN KEY (conv_id, seq) REFERENCES messages(conv_id, seq)
    );

    -- user_id NULL: @room (everyone in the room).
    CREATE TABLE mentions (
        conv_id INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        user_id INTEGER REFERENCES users(id),
        FOREIGN KEY (conv_id, seq) REFERENCES messages(conv_id, seq)
    );
    CREATE INDEX mentions_by_message ON mentions(conv_id, seq);
    CREATE INDEX mentions_by_user ON mentions(conv_id, user_id, seq);

    ALTER TABLE conversations ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN full_history INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN since_seq INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE invites (
        conv_id    INTEGER NOT NULL REFERENCES conversations(id),
        user_id    INTEGER NOT NULL REFERENCES users(id),
        by_id      INTEGER NOT NULL REFERENCES users(id),
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (conv_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX invites_by_user ON invites(user_id);
    CREATE TABLE bans (
        conv_id    INTEGER NOT NULL REFERENCES conversations(id),
        user_id    INTEGER NOT NULL REFERENCES users(id),
        by_id      INTEGER NOT NULL REFERENCES users(id),
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (conv_id, user_id)
    ) WITHOUT ROWID;

    ALTER TABLE users ADD COLUMN typing INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE users ADD COLUMN receipts INTEGER NOT NULL DEFAULT 1;

    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.kind IN (0, 2) AND new.text <> '' BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.kind IN (0, 2) AND old.text <> '' BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END;
    -- One trigger, so the old words leave before the new ones come in.
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
    WHEN old.kind IN (0, 2) OR new.kind IN (0, 2) BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.kind IN (0, 2) AND old.text <> '';
        INSERT INTO messages_fts(rowid, text)
        SELECT new.id, new.text WHERE new.kind IN (0, 2) AND new.text <> '';
    END;
    INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{MIGRATIONS, SUPPORTED_VERSION};
    use crate::{MessageKind, Reads, Store};

    /// Writes a file exactly as a version-1 build left it: only the first
    /// migration, some history, and `user_version = 1`.
    fn write_v1_file(path: &std::path::Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO users (username, display, password_hash, created_ms)
             VALUES ('alice', 'Alice', 'h', 1);
             INSERT INTO members (conv_id, user_id, role, joined_ms, read_seq)
             VALUES (1, 1, 0, 1, 0);
             UPDATE conversations SET last_seq = 1 WHERE id = 1;
             INSERT INTO messages (conv_id, seq, sender_id, client_id, ts_ms, kind, text)
             VALUES (1, 1, 1, zeroblob(16), 5, 0, 'quarterly report draft');",
        )
        .unwrap();
    }

    #[test]
    fn version_1_file_upgrades_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        write_v1_file(&path);

        let mut store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SUPPORTED_VERSION);
        store.integrity_check().unwrap();

        // Version-1 history is intact and still searchable.
        let old = store.messages_after(1, 0, 10).unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].text, "quarterly report draft");
        assert_eq!(old[0].kind, MessageKind::Text);
        assert_eq!(old[0].file, None);

        // Files work on the upgraded file, and the rebuilt triggers index
        // both kinds.
        let (file, appended) = store
            .share_file(1, 1, &[7; 16], "report.pdf", 1234, &[9; 32], 10)
            .unwrap();
        assert_eq!((appended.seq, file.seq, file.conv_id), (2, 2, 1));
        let found: Vec<_> = store
            .search(1, "report", None, 10)
            .unwrap()
            .into_iter()
            .map(|m| (m.seq, m.kind))
            .collect();
        assert_eq!(found, [(2, MessageKind::File), (1, MessageKind::Text)]);
        drop(store);

        // A second open finds nothing left to migrate.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.shared_file(file.id).unwrap(), Some(file));
    }
}
