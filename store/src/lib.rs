//! Persistence for the lanchat coordinator.
//!
//! Accounts, sessions, rooms, direct messages and message history live in a
//! single SQLite file behind the domain API of [`Store`]; no SQL exists
//! outside this crate. Callers pass the current time (`now_ms`, milliseconds
//! since the Unix epoch) into every method that records one, which keeps the
//! store deterministic under test.
//!
//! # Layout
//!
//! - `error`: [`StoreError`], the one error type.
//! - `model`: the plain data types ([`User`], [`Conversation`], ...) and
//!   their integer encoding in SQL.
//! - `schema`: versioned migrations tracked by `PRAGMA user_version`.
//! - `tuning`: the settings every connection gets (busy timeout, statement cache, plans).
//! - `connection`: [`Store::open`] (pragmas, durability, secure delete),
//!   [`Store::scrub`] and [`Store::integrity_check`].
//! - `accounts`, `sessions`: users and login sessions.
//! - `lookalike`: usernames that look alike ([`lookalike_keys`]), kept to one
//!   account per key.
//! - `conversations`: lookups shared by rooms and DMs, and a user's
//!   conversation list with unread counts.
//! - `rooms`, `dm`: named rooms (including the always-present `general`)
//!   and two-person threads.
//! - `members`: joining, leaving with owner succession, roles, read cursors
//!   and muting.
//! - `access`: invitations and bans.
//! - `messages`: idempotent append and paging through history; edits, deletions and
//!   reactions as entries of the sequence; replies and mentions.
//! - `files`: files shared into conversations, content-addressed by BLAKE3.
//! - `references`: whether some shared content is still referenced.
//! - `rows`: the SELECT column lists and the mappers from their rows to
//!   model types, shared by the modules above.
//! - `search`: FTS5 full-text search restricted to the user's conversations.
//! - `read`: [`Reads`], every query that only reads, on the writer's connection or a
//!   snapshot.
//! - `pool`: [`ReadPool`], read-only connections whose [`Snapshot`]s read beside the
//!   writer (WAL), so slow reads never hold up writes.

mod access;
mod accounts;
mod connection;
mod conversations;
mod dm;
mod error;
mod files;
mod lookalike;
mod members;
mod messages;
mod model;
mod pool;
mod read;
mod references;
mod rooms;
mod rows;
mod schema;
mod search;
mod sessions;
mod tuning;

pub use connection::Store;
pub use error::StoreError;
pub use lookalike::{lookalike_keys, Clash};
pub use messages::MAX_REACTIONS;
pub use model::{
    Appended, ChangeOp, Changed, ConvId, ConvKind, ConvSummary, Conversation, Credential,
    MemberInfo, Membership, MessageKind, NewMessage, Quoted, ReactionCount, Role, RoomListing,
    Settings, SharedFile, StoredMessage, User, UserId,
};
pub use pool::{ReadPool, Snapshot, READERS};
pub use read::Reads;
pub use rows::QUOTE_CHARS;
