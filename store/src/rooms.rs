//! Named rooms.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::rows::{conv_from_row, CONV_COLUMNS};
use crate::{ConvId, ConvKind, Conversation, Role, RoomListing, Store, StoreError, UserId};

/// The room every account belongs to; created by the first migration.
const GENERAL: &str = "general";

/// See [`Reads::general`](crate::Reads::general).
pub(crate) fn general(conn: &Connection) -> Result<Conversation, StoreError> {
    room_by_name(conn, GENERAL)?
        .ok_or_else(|| StoreError::Corrupt("room general is missing".into()))
}

/// See [`Reads::room_by_name`](crate::Reads::room_by_name).
pub(crate) fn room_by_name(
    conn: &Connection,
    name: &str,
) -> Result<Option<Conversation>, StoreError> {
    let conv = conn
        .prepare_cached(&format!(
            "SELECT {CONV_COLUMNS} FROM conversations c WHERE c.kind = ?1 AND c.name = ?2"
        ))?
        .query_row(params![ConvKind::Room, name], conv_from_row)
        .optional()?;
    Ok(conv)
}

/// See [`Reads::list_rooms`](crate::Reads::list_rooms) and
/// [`Reads::rooms_visible_to`](crate::Reads::rooms_visible_to) (`viewer`: only public rooms
/// and the private ones the viewer is in or invited to). Keyset paging on the unique
/// (case-insensitive) room name, so a page costs the same however far into the list it is.
pub(crate) fn list_rooms(
    conn: &Connection,
    viewer: Option<UserId>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<RoomListing>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, c.topic,
                (SELECT COUNT(*) FROM members m WHERE m.conv_id = c.id),
                c.last_seq, c.private, c.archived
         FROM conversations c
         WHERE c.kind = ?1 AND (?2 IS NULL OR c.name > ?2)
           AND (?4 IS NULL OR c.private = 0
                OR EXISTS (SELECT 1 FROM members v WHERE v.conv_id = c.id AND v.user_id = ?4)
                OR EXISTS (SELECT 1 FROM invites i WHERE i.conv_id = c.id AND i.user_id = ?4))
         ORDER BY c.name LIMIT ?3",
    )?;
    let rooms = stmt
        .query_map(params![ConvKind::Room, after, limit, viewer], |row| {
            Ok(RoomListing {
                id: row.get(0)?,
                name: row.get(1)?,
                topic: row.get(2)?,
                members: row.get(3)?,
                last_seq: row.get(4)?,
                private: row.get(5)?,
                archived: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rooms)
}

impl Store {
    /// Creates a public room with `owner` as its only member, in the Owner role.
    ///
    /// Fails with [`StoreError::RoomExists`] if a room of that name exists in
    /// any capitalisation.
    pub fn create_room(
        &mut self,
        name: &str,
        owner: UserId,
        now_ms: i64,
    ) -> Result<Conversation, StoreError> {
        self.create_room_with(name, owner, false, false, now_ms)
    }

    /// Creates a room like [`Store::create_room`]: `private` (invite-only), and for a
    /// private room whether members who join later read its whole history (`full_history`)
    /// or only what comes after they joined.
    pub fn create_room_with(
        &mut self,
        name: &str,
        owner: UserId,
        private: bool,
        full_history: bool,
        now_ms: i64,
    ) -> Result<Conversation, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM conversations WHERE kind = ?1 AND name = ?2",
                params![ConvKind::Room, name],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            return Err(StoreError::RoomExists);
        }
        let owner_exists = tx
            .query_row("SELECT 1 FROM users WHERE id = ?1", [owner], |_| Ok(()))
            .optional()?
            .is_some();
        if !owner_exists {
            return Err(StoreError::NoSuchUser);
        }
        tx.execute(
            "INSERT INTO conversations (kind, name, created_ms, private, full_history)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ConvKind::Room, name, now_ms, private, full_history],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO members (conv_id, user_id, role, joined_ms, read_seq)
             VALUES (?1, ?2, ?3, ?4, 0)",
            params![id, owner, Role::Owner, now_ms],
        )?;
        tx.commit()?;
        Ok(Conversation {
            id,
            kind: ConvKind::Room,
            name: name.to_owned(),
            topic: String::new(),
            last_seq: 0,
            created_ms: now_ms,
            private,
            full_history,
            archived: false,
        })
    }

    /// Makes a room private or public. Members keep reading what they could: those who
    /// joined while it was public read its whole history; when it becomes public, everyone
    /// reads everything (as anyone who joins could).
    pub fn set_private(&mut self, conv: ConvId, private: bool) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE conversations SET private = ?2 WHERE id = ?1 AND kind = ?3",
            params![conv, private, ConvKind::Room],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchConversation);
        }
        if !private {
            tx.execute(
                "UPDATE members SET since_seq = 0 WHERE conv_id = ?1",
                [conv],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Archives a room (read-only; the coordinator refuses what would write to it) or
    /// brings it back.
    pub fn set_archived(&mut self, conv: ConvId, archived: bool) -> Result<(), StoreError> {
        match self.conn.execute(
            "UPDATE conversations SET archived = ?2 WHERE id = ?1 AND kind = ?3",
            params![conv, archived, ConvKind::Room],
        )? {
            0 => Err(StoreError::NoSuchConversation),
            _ => Ok(()),
        }
    }

    /// Deletes a room with everything in it: messages (their words leave the full-text
    /// index), reactions, mentions, shared files' records, members, invitations and bans.
    /// Returns the content hashes of its shared files that no other share refers to (the
    /// caller may remove those blobs). What the rows held may stay in the file's free space
    /// or the write-ahead log until [`Store::scrub`].
    pub fn delete_room(&mut self, conv: ConvId) -> Result<Vec<[u8; 32]>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let is_room = tx
            .query_row(
                "SELECT 1 FROM conversations WHERE id = ?1 AND kind = ?2",
                params![conv, ConvKind::Room],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !is_room {
            return Err(StoreError::NoSuchConversation);
        }
        let hashes: Vec<[u8; 32]> = tx
            .prepare("SELECT DISTINCT hash FROM files WHERE conv_id = ?1")?
            .query_map([conv], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for table in [
            "reactions",
            "mentions",
            "files",
            "messages",
            "members",
            "invites",
            "bans",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE conv_id = ?1"), [conv])?;
        }
        tx.execute("DELETE FROM conversations WHERE id = ?1", [conv])?;
        let mut unshared = Vec::new();
        for hash in hashes {
            if !crate::references::hash_is_shared(&tx, &hash)? {
                unshared.push(hash);
            }
        }
        tx.commit()?;
        Ok(unshared)
    }

    /// Replaces a conversation's topic.
    pub fn set_topic(&mut self, conv: ConvId, topic: &str) -> Result<(), StoreError> {
        match self.conn.execute(
            "UPDATE conversations SET topic = ?2 WHERE id = ?1",
            params![conv, topic],
        )? {
            0 => Err(StoreError::NoSuchConversation),
            _ => Ok(()),
        }
    }
}
