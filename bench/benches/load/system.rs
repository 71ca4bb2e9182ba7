//! What the measurements need from a chat server and its clients, so that lanchat and the IRC
//! reference are driven by the same code: sessions that send to a room or a person, a
//! [`Recorder`] per session that stamps what arrives, and the server process to read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::clock::now_us;

/// Where a message goes.
#[derive(Debug, Clone, Copy)]
pub enum To<'a> {
    /// A room (an IRC channel) by name, without any prefix.
    Room(&'a str),
    /// A person by user name (an IRC nick).
    Dm(&'a str),
}

/// A message as a session received it: (sender, text).
pub type Received = (String, String);

/// One logged-in session of a client.
pub(crate) trait Peer {
    /// What its reader saw.
    fn recorder(&self) -> &Arc<Recorder>;
    /// Writes a message without waiting for anything back.
    async fn send(&mut self, to: To<'_>, text: String) -> Result<(), String>;
    /// Answers received so far to messages sent: refusals, and for a server that acknowledges
    /// (send time, send → acknowledgement in µs).
    fn drain_replies(&mut self) -> (Vec<String>, Vec<(u64, u32)>);
    /// Ends the session.
    fn close(self);
}

/// A chat server in its own process, and how to get sessions on it.
pub(crate) trait System {
    /// Its sessions.
    type Peer: Peer;
    /// The server's process id (CPU and memory are read from `/proc`).
    fn pid(&self) -> u32;
    /// The name sessions send to for the room of `members`.
    fn room_name(&self, members: usize) -> String;
    /// Sessions of a room of `members`, the `senders` first; every one is a member when this
    /// returns.
    async fn room(&self, members: usize, senders: usize) -> Vec<Self::Peer>;
    /// Two sessions of two different users, each with its user name and a channel of what
    /// it receives, for round trips.
    async fn pair(&self) -> [(Self::Peer, String, mpsc::UnboundedReceiver<Received>); 2];
    /// `count` more logged-in sessions that will only sit idle; `first` is how many already do.
    async fn idle(&self, first: usize, count: usize) -> Vec<Self::Peer>;
    /// Replaces the server process by a fresh one (the memory figures must not see what the
    /// streams left in its allocator).
    async fn restart(&mut self);
    /// How many sessions of a room of `members` receive each message.
    fn receivers_per_message(&self, members: usize) -> usize;
    /// How long an idle server's memory may keep growing before it is read.
    fn settle_min(&self) -> Duration;
}

/// What a session's reader task saw.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Timed messages (the bench's own) received.
    pub delivered: AtomicU64,
    /// (receive time, send→receive latency) in µs, for timed messages.
    pub samples: Mutex<Vec<(u64, u32)>>,
    /// Set when the connection ended; why.
    pub closed: AtomicBool,
    /// Why the connection ended.
    pub reason: Mutex<Option<String>>,
    /// When set, messages go here instead of being timed.
    pub forward: Option<mpsc::UnboundedSender<Received>>,
}

impl Recorder {
    /// A recorder that forwards every message to the returned channel.
    pub fn forwarding() -> (Arc<Self>, mpsc::UnboundedReceiver<Received>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let rec = Recorder {
            forward: Some(tx),
            ..Recorder::default()
        };
        (Arc::new(rec), rx)
    }

    /// A received message: timed if its text starts with a send time in µs.
    pub fn message(&self, sender: &str, text: &str) {
        if let Some(forward) = &self.forward {
            let _ = forward.send((sender.to_string(), text.to_string()));
            return;
        }
        let Some(sent) = text.split(' ').next().and_then(|t| t.parse::<u64>().ok()) else {
            return;
        };
        let now = now_us();
        let latency = now.saturating_sub(sent).min(u64::from(u32::MAX)) as u32;
        self.samples
            .lock()
            .expect("samples lock")
            .push((now, latency));
        self.delivered.fetch_add(1, Ordering::Release);
    }

    /// The connection ended.
    pub fn end(&self, why: String) {
        *self.reason.lock().expect("reason lock") = Some(why);
        self.closed.store(true, Ordering::Release);
    }

    /// Forgets an ended connection (before its recorder serves the next attempt).
    pub fn clear_end(&self) {
        *self.reason.lock().expect("reason lock") = None;
        self.closed.store(false, Ordering::Release);
    }

    /// Whether the connection ended.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
