//! Files shared into conversations. The content lives outside SQLite, keyed
//! by its BLAKE3 hash; this records who shared what where, and which hashes
//! are still referenced.

use rusqlite::{params, Connection, OptionalExtension, Params, TransactionBehavior};

use crate::messages::append;
use crate::rows::{file_from_row, FILE_COLUMNS};
use crate::{Appended, ConvId, MessageKind, SharedFile, Store, StoreError, UserId};

/// The one file matching `condition` (on `files sf`), if any; takes a plain
/// connection so it also works inside a transaction.
fn load_file(
    conn: &Connection,
    condition: &str,
    params: impl Params,
) -> Result<Option<SharedFile>, StoreError> {
    let file = conn
        .query_row(
            &format!(
                "SELECT {FILE_COLUMNS}
                 FROM files sf JOIN users su ON su.id = sf.uploader_id
                 WHERE {condition}"
            ),
            params,
            |row| file_from_row(row, 0),
        )
        .optional()?;
    Ok(file)
}

impl Store {
    /// Shares a file into `conv`: appends a File message whose text is
    /// `name` and records the file, both in one transaction, so history never
    /// shows a file that cannot be fetched.
    ///
    /// The content itself is the caller's to store under `hash`. Idempotent
    /// on `(conv, uploader, client_id)` exactly like
    /// [`Store::append_message`]: a resend gets the original file and
    /// message back with `duplicate = true` and stores nothing, even if its
    /// name, size or hash differ. If that client id belongs to a message that
    /// is not a file, fails with [`StoreError::ClientIdReused`].
    ///
    /// Membership is the caller's policy and is not checked here.
    #[allow(clippy::too_many_arguments)] // mirrors append_message plus the file's facts
    pub fn share_file(
        &mut self,
        conv: ConvId,
        uploader: UserId,
        client_id: &[u8; 16],
        name: &str,
        size: u64,
        hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<(SharedFile, Appended), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let appended = append(
            &tx,
            conv,
            uploader,
            client_id,
            MessageKind::File,
            name,
            now_ms,
        )?;
        if !appended.duplicate {
            tx.execute(
                "INSERT INTO files (conv_id, seq, hash, name, size, uploader_id, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![conv, appended.seq, hash, name, size, uploader, now_ms],
            )?;
        }
        // Read back rather than assemble, so a resend and a first share
        // return the same shape (including the uploader's name).
        let file = load_file(
            &tx,
            "sf.conv_id = ?1 AND sf.seq = ?2",
            params![conv, appended.seq],
        )?
        .ok_or(StoreError::ClientIdReused)?;
        tx.commit()?;
        Ok((file, appended))
    }
}

/// See [`Reads::shared_file`](crate::Reads::shared_file).
pub(crate) fn shared_file(conn: &Connection, id: i64) -> Result<Option<SharedFile>, StoreError> {
    load_file(conn, "sf.id = ?1", [id])
}

/// See [`Reads::storage_of`](crate::Reads::storage_of).
pub(crate) fn storage_of(conn: &Connection, user: UserId) -> Result<u64, StoreError> {
    let bytes = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(size), 0) FROM
           (SELECT MAX(size) AS size FROM files WHERE uploader_id = ?1 GROUP BY hash)",
        )?
        .query_row([user], |row| row.get(0))?;
    Ok(bytes)
}

/// See [`Reads::storage_total`](crate::Reads::storage_total).
pub(crate) fn storage_total(conn: &Connection) -> Result<u64, StoreError> {
    let bytes = conn.prepare_cached(
        "SELECT COALESCE(SUM(size), 0) FROM (SELECT MAX(size) AS size FROM files GROUP BY hash)",
    )?
    .query_row([], |row| row.get(0))?;
    Ok(bytes)
}
