//! Locks that outlive a panic.
use std::sync::{Mutex, MutexGuard};

/// Locks `mutex` even if a panic poisoned it: a bug in one request must not take every later
/// request (and every other connection) down with it. What the coordinator keeps behind its
/// locks is changed by calls that finish or fail as a whole (the store's transactions, map
/// inserts and removals), so a poisoned lock still guards consistent state.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
