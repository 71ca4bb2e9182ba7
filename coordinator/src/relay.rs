//! The relay board: a relayed offer's sender waits here, by offer id, until its recipient's
//! stream arrives to be joined with it (see `streams`).
use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::lock::lock;

/// Both halves of one file stream.
pub type Streams = (quinn::SendStream, quinn::RecvStream);

/// Senders waiting at the relay, by offer id.
#[derive(Debug, Default)]
pub struct RelayBoard {
    waiting: Mutex<HashMap<u64, oneshot::Sender<Streams>>>,
}

impl RelayBoard {
    /// The sender's end waits for the recipient's end of `offer`.
    pub fn wait(&self, offer: u64) -> oneshot::Receiver<Streams> {
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).insert(offer, tx);
        rx
    }

    /// The sender's end waiting for `offer`, if any (taken).
    pub fn take(&self, offer: u64) -> Option<oneshot::Sender<Streams>> {
        lock(&self.waiting).remove(&offer)
    }
}
