//! Group commit: every connection's messages go through one queue to one thread, which stores
//! everything queued so far with a single commit (one fsync), then delivers it and answers
//! each sender.
//!
//! Why: a commit with `synchronous=FULL` waits for the disk (about 0.3 ms here, far more on a
//! busy disk), and with one commit per message the coordinator could store no more messages
//! per second than the disk does fsyncs, all of them waiting on the hub's lock. Batching keeps
//! the promise (nothing is delivered or acknowledged before it is on disk) and makes the
//! cost per message fall as the load rises: the messages that arrive during one commit share
//! the next.
//!
//! A connection does not wait for one message's commit before reading its next request, so a
//! client can have several messages in flight (up to [`MAX_IN_FLIGHT`]); its other requests
//! wait until its messages are answered, so every reply keeps the order of the requests.
use std::sync::{Mutex, Weak};

use crossbeam_channel::{Receiver, Sender};
use lanchat_net::protocol::ServerFrame;
use tokio::sync::oneshot;

use crate::clock::now_ms;
use crate::hub::{self, Hub, Outbox, PendingSend};
use crate::lock::lock;

/// Messages one connection may have waiting for their commit. It bounds what a flooding
/// client can queue (with the 16 KiB text limit, 512 KiB per connection).
pub const MAX_IN_FLIGHT: usize = 32;
/// Most messages stored by one commit: bounds how long the hub's lock is held.
const MAX_BATCH: usize = 512;

/// One message on its way to the store.
#[derive(Debug)]
pub struct Job {
    /// The request's frame id, for the reply.
    pub frame_id: u64,
    /// The message.
    pub send: PendingSend,
    /// The sender's connection, for the reply.
    pub outbox: Outbox,
    /// Dropped once the reply is queued: lets the connection go on with its next request.
    pub done: oneshot::Sender<()>,
}

/// The queue into the committing thread.
#[derive(Debug, Clone)]
pub struct Committer {
    jobs: Sender<Job>,
}

/// The receiving end, until [`Queue::start`] gives it its thread.
#[derive(Debug)]
pub struct Queue {
    jobs: Receiver<Job>,
}

/// A committer and its queue (the queue needs the hub, which is made after the committer's
/// first holders).
pub fn channel() -> (Committer, Queue) {
    let (jobs, rx) = crossbeam_channel::unbounded();
    (Committer { jobs }, Queue { jobs: rx })
}

impl Committer {
    /// Queues a message. `false` if the coordinator is shutting down.
    pub fn submit(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

impl Queue {
    /// Starts the committing thread. It holds the hub only weakly, and ends once every
    /// [`Committer`] is gone (the coordinator shut down) or the hub is; joining it then is
    /// how a shutdown knows the last batch is stored.
    pub fn start(self, hub: Weak<Mutex<Hub>>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("lanchat-commit".into())
            .spawn(move || run(hub, self.jobs))
    }
}

fn run(hub: Weak<Mutex<Hub>>, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let Some(hub) = hub.upgrade() else {
            return;
        };
        let mut hub = lock(&hub);
        let (answer_to, sends): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|j| ((j.send.sid, j.frame_id, j.outbox, j.done), j.send))
            .unzip();
        let results = hub.send_batch(sends, now_ms());
        for ((sid, frame_id, outbox, done), result) in answer_to.into_iter().zip(results) {
            let reply = ServerFrame::Reply {
                id: frame_id,
                result: result.map_err(Into::into),
            };
            if let Some(bytes) = hub::encode(&reply) {
                hub.reply(sid, &outbox, bytes);
            }
            // The reply is queued: the connection may go on with its next request.
            drop(done);
        }
    }
}
