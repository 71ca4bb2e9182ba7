//! Read-only connections to the store's database, so that reads run beside writes.
//!
//! SQLite in WAL mode lets any number of readers work while one writer commits: a reader sees
//! the database as of the moment its read transaction began, and nothing it does waits for
//! the writer (nor the writer for it). The coordinator answers searches, history pages and
//! lists from a [`Snapshot`] here, never from the writer's connection, so a slow read cannot
//! hold up the messages every other user is sending.
//!
//! The pool is small and fixed ([`READERS`] connections): a read that finds every connection
//! busy waits for one, so however many reads arrive at once, at most that many run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::read::{Connected, Reads};
use crate::tuning::tune;
use crate::StoreError;

/// Read connections per store: enough for a few slow searches at once without starving the
/// history pages and lists that run beside them, few enough that readers cannot take every
/// core of a small office server.
pub const READERS: usize = 4;

/// A fixed set of read-only connections to one database.
#[derive(Debug)]
pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
    size: usize,
}

/// One consistent view of the database: every query made through it sees the same committed
/// state, so a membership check and the read it guards agree.
#[derive(Debug)]
pub struct Snapshot<'a> {
    tx: Transaction<'a>,
}

impl Connected for Snapshot<'_> {
    fn connection(&self) -> &Connection {
        &self.tx
    }
}

impl Reads for Snapshot<'_> {}

/// What the readers open: a database file, or the named in-memory database of a
/// [`Store::open_in_memory`](crate::Store::open_in_memory).
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(std::path::PathBuf),
    Memory(String),
}

impl Source {
    /// A fresh in-memory database that several connections of this process can share.
    pub(crate) fn memory() -> Source {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Source::Memory(format!(
            "file:lanchat-memory-{}-{}?mode=memory&cache=shared",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// A read-write connection (the writer, or a reader before it is made query-only).
    pub(crate) fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Ok(match self {
            Source::File(path) => Connection::open_with_flags(path, flags)?,
            Source::Memory(uri) => Connection::open_with_flags(uri, flags)?,
        })
    }
}

impl ReadPool {
    /// `size` connections to `source`, which the writer has already opened and migrated.
    pub(crate) fn open(source: &Source, size: usize) -> Result<ReadPool, StoreError> {
        let mut idle = Vec::with_capacity(size);
        for _ in 0..size {
            let conn = source.open()?;
            tune(&conn)?;
            // Belt and braces: a reader never writes, whatever SQL a bug might give it.
            conn.pragma_update(None, "query_only", true)?;
            idle.push(conn);
        }
        Ok(ReadPool {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
            size,
        })
    }

    /// How many reads can run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `read` on a snapshot of the database, waiting for a free connection first.
    /// `read` may fail with its own error type, as long as store errors convert into it.
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce(&Snapshot<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let lent = Lent {
            pool: self,
            conn: Some(self.take()),
        };
        let conn = lent
            .conn
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("a read connection went missing".into()))?;
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let snapshot = Snapshot { tx };
        let out = read(&snapshot)?;
        snapshot.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    fn take(&self) -> Connection {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return conn;
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A connection out of the pool; it goes back when this is dropped, also after a panic.
struct Lent<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            self.pool.returned.notify_one();
        }
    }
}
