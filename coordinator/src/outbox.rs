//! One connection's outbox: the encoded frames the hub and the connection's own requests queue
//! for its writer task, bounded by a number of frames.
//!
//! Why not a channel: a busy room queues one frame per member per message, and a channel pays
//! a semaphore, a list node and often a task wake-up for every frame. Here a whole commit's
//! frames for one connection go in with one lock ([`Outbox::try_push_all`]), the writer takes
//! everything queued with one lock ([`OutboxReader::take`]), and it is woken only when the
//! queue goes from empty to not empty.
//!
//! Frames are bulk (room traffic, presence) or urgent (answers to the connection's own
//! requests, direct messages): the writer may hold bulk frames back for a few milliseconds to
//! send more of them per packet, and stops waiting as soon as an urgent one is queued.
//!
//! Like a channel, the reader sees the end once every [`Outbox`] handle is dropped, and
//! pushes fail once the reader is gone.
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

/// How soon a frame should leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// May wait for the writer's next interval (see the server's write loop).
    Bulk,
    /// Someone is waiting for it: written at once.
    Urgent,
}

/// Frames an idle outbox keeps room for (two vectors of them, swapped by each take).
const KEEP_CAPACITY: usize = 32;

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The queue holds its capacity: the client is not reading.
    #[error("the client is not reading: its outbox is full")]
    Full,
    /// The connection's writer has ended.
    #[error("the connection is closed")]
    Closed,
}

/// The sending side; clones share one queue.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The writer's side.
#[derive(Debug)]
pub struct OutboxReader {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    /// Most frames queued at once.
    capacity: usize,
    /// Told when the queue stops being empty, or the last sender is gone.
    filled: Notify,
    /// Told when the reader took frames (room for a waiting [`Outbox::push`]) or left.
    drained: Notify,
    /// Told when an urgent frame is queued.
    hurry: Notify,
}

#[derive(Debug)]
struct Queue {
    frames: Vec<Bytes>,
    /// Whether an urgent frame is among `frames`.
    urgent: bool,
    senders: usize,
    reader_gone: bool,
}

/// An outbox of at most `capacity` frames and its reader.
pub fn outbox(capacity: usize) -> (Outbox, OutboxReader) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            frames: Vec::new(),
            urgent: false,
            senders: 1,
            reader_gone: false,
        }),
        capacity,
        filled: Notify::new(),
        drained: Notify::new(),
        hurry: Notify::new(),
    });
    (
        Outbox {
            shared: shared.clone(),
        },
        OutboxReader { shared },
    )
}

impl Shared {
    /// The queue; a panic elsewhere while it was held leaves nothing half-done in it (every
    /// change is a single push, append or swap), so a poisoned lock is still usable.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Outbox {
    /// Queues one frame if there is room.
    pub fn try_push(&self, frame: Bytes, urgency: Urgency) -> Result<(), PushError> {
        let mut queue = self.shared.queue();
        self.check_room(&queue, 1)?;
        self.append(&mut queue, std::iter::once(frame), urgency);
        Ok(())
    }

    /// Queues all of `frames` (in order) if they all fit, else none of them.
    pub fn try_push_all(&self, frames: Vec<Bytes>, urgency: Urgency) -> Result<(), PushError> {
        let mut queue = self.shared.queue();
        self.check_room(&queue, frames.len())?;
        self.append(&mut queue, frames, urgency);
        Ok(())
    }

    /// Queues one urgent frame, waiting for room: for a connection's replies to its own
    /// requests, so a client that sends but does not read is slowed down instead of growing
    /// the queue.
    pub async fn push(&self, frame: Bytes) -> Result<(), PushError> {
        loop {
            match self.try_push(frame.clone(), Urgency::Urgent) {
                Err(PushError::Full) => self.shared.drained.notified().await,
                done => return done,
            }
        }
    }

    fn check_room(&self, queue: &Queue, more: usize) -> Result<(), PushError> {
        if queue.reader_gone {
            Err(PushError::Closed)
        } else if queue.frames.len() + more > self.shared.capacity {
            Err(PushError::Full)
        } else {
            Ok(())
        }
    }

    fn append(&self, queue: &mut Queue, frames: impl IntoIterator<Item = Bytes>, urgency: Urgency) {
        let was_empty = queue.frames.is_empty();
        queue.frames.extend(frames);
        if queue.frames.is_empty() {
            return;
        }
        // Each stores a permit if the writer is not waiting yet, so no wake-up is lost.
        if was_empty {
            self.shared.filled.notify_one();
        }
        if urgency == Urgency::Urgent && !queue.urgent {
            queue.urgent = true;
            self.shared.hurry.notify_one();
        }
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Self {
        self.shared.queue().senders += 1;
        Outbox {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let mut queue = self.shared.queue();
        queue.senders -= 1;
        if queue.senders == 0 {
            self.shared.filled.notify_one();
            self.shared.hurry.notify_one();
        }
    }
}

impl OutboxReader {
    /// Waits for frames and moves all of them into `into`; whether any of them is urgent.
    /// `None` once every sender is gone and nothing is left.
    pub async fn take(&mut self, into: &mut Vec<Bytes>) -> Option<Urgency> {
        loop {
            {
                let queue = self.shared.queue();
                let no_senders = queue.senders == 0;
                if let Some(urgency) = self.move_out(queue, into) {
                    return Some(urgency);
                }
                if no_senders {
                    return None;
                }
            }
            self.shared.filled.notified().await;
        }
    }

    /// Moves whatever is queued into `into`, without waiting; `None` if there was nothing.
    pub fn try_take(&mut self, into: &mut Vec<Bytes>) -> Option<Urgency> {
        let queue = self.shared.queue();
        self.move_out(queue, into)
    }

    /// Empties the locked queue into `into`, then unlocks it before waking a waiting pusher.
    fn move_out(&self, mut queue: MutexGuard<'_, Queue>, into: &mut Vec<Bytes>) -> Option<Urgency> {
        if queue.frames.is_empty() {
            return None;
        }
        let urgency = if queue.urgent {
            Urgency::Urgent
        } else {
            Urgency::Bulk
        };
        if into.is_empty() {
            if into.capacity() > KEEP_CAPACITY {
                // After a burst: an idle connection should not keep room for it.
                *into = Vec::new();
            }
            std::mem::swap(into, &mut queue.frames);
        } else {
            into.append(&mut queue.frames);
        }
        queue.urgent = false;
        drop(queue);
        self.shared.drained.notify_one();
        Some(urgency)
    }

    /// Waits until an urgent frame is queued (or every sender is gone).
    pub async fn urgent(&self) {
        loop {
            {
                let queue = self.shared.queue();
                if queue.urgent || queue.senders == 0 {
                    return;
                }
            }
            self.shared.hurry.notified().await;
        }
    }

    /// Whether every sender is gone (the hub and the connection let go of the session).
    pub fn is_closed(&self) -> bool {
        self.shared.queue().senders == 0
    }
}

impl Drop for OutboxReader {
    fn drop(&mut self) {
        self.shared.queue().reader_gone = true;
        self.shared.drained.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn frames_come_out_in_order_and_all_at_once() {
        let (tx, mut rx) = outbox(8);
        tx.try_push(frame(1), Urgency::Bulk).unwrap();
        tx.try_push_all(vec![frame(2), frame(3)], Urgency::Bulk)
            .unwrap();
        let mut got = Vec::new();
        assert_eq!(rx.try_take(&mut got), Some(Urgency::Bulk));
        assert_eq!(got, vec![frame(1), frame(2), frame(3)]);
        assert_eq!(rx.try_take(&mut Vec::new()), None);
    }

    #[test]
    fn a_full_outbox_refuses_and_keeps_what_it_had() {
        let (tx, mut rx) = outbox(3);
        tx.try_push_all(vec![frame(1), frame(2)], Urgency::Bulk)
            .unwrap();
        assert_eq!(
            tx.try_push_all(vec![frame(3), frame(4)], Urgency::Bulk),
            Err(PushError::Full)
        );
        tx.try_push(frame(3), Urgency::Bulk).unwrap();
        assert_eq!(tx.try_push(frame(4), Urgency::Bulk), Err(PushError::Full));
        let mut got = Vec::new();
        rx.try_take(&mut got);
        assert_eq!(got, vec![frame(1), frame(2), frame(3)]);
    }

    #[test]
    fn pushes_fail_once_the_reader_is_gone() {
        let (tx, rx) = outbox(3);
        drop(rx);
        assert_eq!(tx.try_push(frame(1), Urgency::Bulk), Err(PushError::Closed));
    }

    #[tokio::test]
    async fn the_reader_ends_after_the_last_sender_and_the_last_frame() {
        let (tx, mut rx) = outbox(8);
        let other = tx.clone();
        tx.try_push(frame(1), Urgency::Bulk).unwrap();
        drop(tx);
        assert!(!rx.is_closed());
        other.try_push(frame(2), Urgency::Bulk).unwrap();
        drop(other);
        assert!(rx.is_closed());
        let mut got = Vec::new();
        assert_eq!(rx.take(&mut got).await, Some(Urgency::Bulk));
        assert_eq!(got, vec![frame(1), frame(2)]);
        assert_eq!(rx.take(&mut Vec::new()).await, None);
    }

    #[tokio::test]
    async fn a_waiting_reader_is_woken_by_a_push_from_another_thread() {
        let (tx, mut rx) = outbox(8);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            rx.take(&mut got).await;
            got
        });
        std::thread::spawn(move || tx.try_push(frame(7), Urgency::Bulk).unwrap())
            .join()
            .unwrap();
        assert_eq!(reader.await.unwrap(), vec![frame(7)]);
    }

    #[tokio::test]
    async fn push_waits_for_room() {
        let (tx, mut rx) = outbox(1);
        tx.try_push(frame(1), Urgency::Bulk).unwrap();
        let pusher = tokio::spawn(async move { tx.push(frame(2)).await });
        let mut got = Vec::new();
        assert_eq!(rx.take(&mut got).await, Some(Urgency::Bulk));
        assert_eq!(pusher.await.unwrap(), Ok(()));
        got.clear();
        assert_eq!(rx.take(&mut got).await, Some(Urgency::Urgent));
        assert_eq!(got, vec![frame(2)]);
    }

    #[tokio::test]
    async fn an_urgent_frame_ends_the_wait_and_a_bulk_one_does_not() {
        let (tx, mut rx) = outbox(8);
        tx.try_push(frame(1), Urgency::Bulk).unwrap();
        let mut got = Vec::new();
        rx.try_take(&mut got);
        tx.try_push(frame(2), Urgency::Bulk).unwrap();
        {
            let waiting = rx.urgent();
            tokio::pin!(waiting);
            assert!(futures_poll_once(waiting.as_mut()).await.is_none());
            tx.try_push(frame(3), Urgency::Urgent).unwrap();
            waiting.await;
        }
        // Taking the frames clears the urgency.
        rx.try_take(&mut got);
        assert_eq!(got, vec![frame(1), frame(2), frame(3)]);
        let again = rx.urgent();
        tokio::pin!(again);
        assert!(futures_poll_once(again).await.is_none());
    }

    /// Polls a future once: `Some` if it finished.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }
}
