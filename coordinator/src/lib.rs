//! lanchat's coordinator: accounts, sessions, rooms, history, presence and shared files for one
//! office, served over QUIC.
//!
//! [`Coordinator::start`] runs one from a [`CoordinatorConfig`] inside a tokio runtime;
//! [`Coordinator::shutdown`] tells every session and closes the connections and the database.
//! The rules live in the [`hub`] and the connection [`gate`], which never touch a socket or
//! read the clock: a test drives a real hub in memory through the gate, exactly as a QUIC
//! connection does (see [`gate`]).
//!
//! # Layout
//! The rules (no I/O; public, for tests and harnesses):
//! - [`hub`]: the rules of conversation over the store and the online sessions (rooms and
//!   their boundaries, messages and their changes, mentions, typing and read receipts).
//! - [`reads`]: history pages, searches and lists, answered from read snapshots without the
//!   hub's lock.
//! - [`gate`]: one connection's hello, login and request routing.
//! - [`admission`]: how many connections per address may be not logged in.
//! - [`outbox`]: the bounded queue of frames between the hub and a connection's writer.
//! - [`rules`]: which names and passwords are accepted, and why not.
//! - [`names`]: display names that would pass for another user's username; the stored names
//!   held to the rules at start.
//! - [`auth`]: OPAQUE keys and steps, legacy Argon2id hashes, login throttling with
//!   back-off, and the bounded pool for password hashing.
//! - [`throttle`]: the token bucket, and the pacer that holds each user's messages to their
//!   rate (they wait their turn; none is refused).
//! - [`blobs`]: content-addressed storage of shared files, and partial uploads.
//! - [`config`]: how to run a coordinator, and every default ([`CoordinatorConfig::new`]).
//! - [`keys`]: rolling the coordinator's key over, vouched for by the old one.
//!
//! The drivers (sockets, tasks, threads, the clock):
//! - `coordinator`: start, accept connections, shut down ([`Coordinator`]); retry emptying
//!   the write-ahead log of deleted text while a read held it.
//! - `server`: one task per QUIC connection (the chat stream), running its gate; each
//!   message waits its user's turn before it is read on.
//! - `commit`: group commit: messages from every connection stored with one fsync.
//! - `streams`: file streams: relay, uploads of shared files, downloads.
//! - `relay`: where a relayed offer's sender waits for its recipient.
//! - `announce`: multicast announcements and probe answers (presence is not multicast).
//! - `shared`: what every connection shares; the blocking pool for the hub's work.
//! - `error`: why a coordinator could not start ([`CoordinatorError`]).
//! - `data_lock`: one coordinator per data directory.
//! - `clock`: the time ([`now_ms`]), read only here.
//! - `lock`: locks that outlive a panic.
pub mod admission;
pub mod auth;
pub mod blobs;
pub mod config;
pub mod gate;
pub mod hub;
pub mod keys;
pub mod names;
pub mod outbox;
pub mod reads;
pub mod rules;
pub mod throttle;

mod announce;
mod clock;
mod commit;
mod coordinator;
mod data_lock;
mod error;
mod lock;
mod relay;
mod server;
mod shared;
mod streams;

pub use clock::now_ms;
pub use config::CoordinatorConfig;
pub use coordinator::Coordinator;
pub use error::CoordinatorError;
