//! Whether some shared content is still referenced: asked by the reads and by a message
//! deletion (which forgets the file it carried, and must know whether its bytes can go).
use rusqlite::Connection;

use crate::StoreError;

/// See [`Reads::hash_is_shared`](crate::Reads::hash_is_shared).
pub(crate) fn hash_is_shared(conn: &Connection, hash: &[u8; 32]) -> Result<bool, StoreError> {
    let shared = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM files WHERE hash = ?1)",
        [hash],
        |row| row.get(0),
    )?;
    Ok(shared)
}
