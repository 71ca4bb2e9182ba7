//! lanchat's coordinator: accounts, sessions, rooms, history, presence and shared files for one
//! office, served over QUIC.
//!
//! [`Coordinator::start`] runs one from a [`CoordinatorConfig`] inside a tokio runtime;
//! [`Coordinator::shutdown`] tells every session and closes the connections and the database.
//! The rules themselves live in the [`hub`], which never touches a socket: tests drive it in
//! memory through plain outboxes.
//!
//! # Layout
//! - [`config`]: how to run one, and every default ([`CoordinatorConfig::new`]).
//! - [`error`]: why one could not start.
//! - [`coordinator`]: start, accept connections, shut down.
//! - [`rules`]: which names and passwords are accepted, and why not.
//! - [`auth`]: Argon2id hashing and login throttling.
//! - [`throttle`]: the token bucket that caps a session's message rate.
//! - [`hub`]: the rules of conversation over the store and the online sessions (no sockets).
//! - [`gate`]: one connection's hello, login and request routing, without I/O.
//! - [`shared`]: what every connection shares; the blocking pool for the hub's work.
//! - [`server`]: one task per QUIC connection (the chat stream).
//! - [`outbox`]: the bounded queue of frames between the hub and a connection's writer.
//! - [`commit`]: group commit: messages from every connection stored with one fsync.
//! - [`streams`]: file streams: relay, uploads of shared files, downloads.
//! - [`relay`]: where a relayed offer's sender waits for its recipient.
//! - [`blobs`]: content-addressed storage of shared files.
//! - [`announce`]: multicast announcements and probe answers.
//! - [`lock`]: locks that outlive a panic.
//! - [`clock`]: the time, read only by the drivers (the hub takes it from its caller).
pub mod announce;
pub mod auth;
pub mod blobs;
pub mod clock;
pub mod commit;
pub mod config;
pub mod coordinator;
pub mod error;
pub mod gate;
pub mod hub;
pub mod lock;
pub mod outbox;
pub mod relay;
pub mod rules;
pub mod server;
pub mod shared;
pub mod streams;
pub mod throttle;

pub use clock::now_ms;
pub use config::CoordinatorConfig;
pub use coordinator::Coordinator;
pub use error::CoordinatorError;
