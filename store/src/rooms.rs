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

/// See [`Reads::list_rooms`](crate::Reads::list_rooms). Keyset paging on the unique
/// (case-insensitive) room name, so a page costs the same however far into the list it is.
pub(crate) fn list_rooms(
    conn: &Connection,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<RoomListing>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, c.topic,
                (SELECT COUNT(*) FROM members m WHERE m.conv_id = c.id),
                c.last_seq
         FROM conversations c
         WHERE c.kind = ?1 AND (?2 IS NULL OR c.name > ?2)
         ORDER BY c.name LIMIT ?3",
    )?;
    let rooms = stmt
        .query_map(params![ConvKind::Room, after, limit], |row| {
            Ok(RoomListing {
                id: row.get(0)?,
                name: row.get(1)?,
                topic: row.get(2)?,
                members: row.get(3)?,
                last_seq: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rooms)
}

impl Store {
    /// Creates a room with `owner` as its only member, in the Owner role.
    ///
    /// Fails with [`StoreError::RoomExists`] if a room of that name exists in
    /// any capitalisation.
    pub fn create_room(
        &mut self,
        name: &str,
        owner: UserId,
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
            "INSERT INTO conversations (kind, name, created_ms) VALUES (?1, ?2, ?3)",
            params![ConvKind::Room, name, now_ms],
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
        })
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
