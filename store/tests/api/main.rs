//! Tests of the public `Store` API, one module per concept.

mod access;
mod accounts;
mod changes;
mod files;
mod messages;
mod persistence;
mod reads;
mod rooms;
mod search;
mod sessions;

pub use lanchat_store::Reads;
use lanchat_store::{Store, User};

/// A fresh in-memory store.
pub fn store() -> Store {
    Store::open_in_memory().unwrap()
}

/// A user `name` (display name in capitals) created at `now_ms`.
pub fn user(store: &mut Store, name: &str, now_ms: i64) -> User {
    store
        .create_user(name, &name.to_uppercase(), "hash", now_ms)
        .unwrap()
}

/// A client id that differs per `n`.
pub fn cid(n: u8) -> [u8; 16] {
    [n; 16]
}
