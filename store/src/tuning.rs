//! The settings every connection to the database gets, the writer's and the readers'.
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::Connection;

use crate::StoreError;

/// How long a statement waits for another connection's write lock before
/// failing with `SQLITE_BUSY`; generous because the coordinator would rather
/// stall briefly than drop an acknowledged message.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Compiled statements kept per connection (the store has fewer distinct queries).
const STATEMENT_CACHE: usize = 128;

/// Applies the per-connection settings.
pub(crate) fn tune(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every query of a message's path (membership, names, the append itself) stays
    // compiled; the default cache of 16 is smaller than the store's set of queries.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Keep them compiled across calls: the bundled SQLite is built with STAT4, which marks
    // a statement whose plan might depend on a bound value (any `LIMIT ?`, some sorts) to
    // be recompiled every time it is bound again. Profiling showed the fan-out's two
    // queries recompiled on every message. The query planner stability guarantee (QPSG)
    // plans once, whatever the values; our queries have one good plan regardless.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}
