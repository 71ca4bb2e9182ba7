//! One coordinator per data directory: a lock file held while it runs, so a second
//! coordinator (or `rotate-key`) on the same directory is refused with a clear reason instead
//! of sharing the database and the key with it.
use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::CoordinatorError;

/// File of the data directory that is locked while a coordinator uses it.
pub const LOCK_FILE: &str = "coordinator.lock";

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes the lock of `dir`, or says that a coordinator is using it.
    pub fn acquire(dir: &Path) -> Result<DataLock, CoordinatorError> {
        let path = dir.join(LOCK_FILE);
        let file = lanchat_net::private::options()
            .open(&path)
            .map_err(|source| CoordinatorError::DataDir {
                path: path.display().to_string(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(DataLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(CoordinatorError::InUse {
                path: dir.display().to_string(),
            }),
            Err(TryLockError::Error(source)) => Err(CoordinatorError::DataDir {
                path: path.display().to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        let refused = DataLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(refused.contains("already running"), "{refused}");
        drop(first);
        DataLock::acquire(dir.path()).unwrap();
    }
}
