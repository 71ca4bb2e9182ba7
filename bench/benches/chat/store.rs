//! Reference: the coordinator's durable commit per message, measured on the store alone.

use std::time::{Duration, Instant};

use lanchat_store::{MessageKind, Reads as _, Store};

use crate::rounds::WARMUP_ROUNDS;

/// Measured store appends.
const STORE_APPENDS: usize = 200;

/// What the coordinator's hub does for every message before fanning it out: one
/// `append_message` (which also moves the sender's read cursor), one commit and, with WAL and
/// synchronous=FULL, one fsync. Measured on a file database in the same temp filesystem as the
/// coordinator's.
pub struct StoreCosts {
    /// One append_message each.
    pub append: Vec<Duration>,
}

pub fn measure() -> StoreCosts {
    let dir = tempfile::tempdir().expect("store tempdir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open store");
    let user = store
        .create_user("writer", "writer", "not-a-real-hash", now_ms())
        .expect("create user")
        .id;
    let conv = store.general().expect("general room").id;
    let mut costs = StoreCosts {
        append: Vec::with_capacity(STORE_APPENDS),
    };
    for i in 0..WARMUP_ROUNDS + STORE_APPENDS {
        let client_id: [u8; 16] = rand::random();
        let t0 = Instant::now();
        store
            .append_message(conv, user, &client_id, MessageKind::Text, "hello", now_ms())
            .expect("append");
        if i >= WARMUP_ROUNDS {
            costs.append.push(t0.elapsed());
        }
    }
    costs
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    since_epoch.as_millis() as i64
}
