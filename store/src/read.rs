//! Queries that only read, the same SQL whether they run on the writer's connection
//! ([`Store`]) or inside a read snapshot ([`Snapshot`](crate::Snapshot)) from the
//! [`ReadPool`](crate::ReadPool).
//!
//! Why a trait: the coordinator answers searches, history pages and lists from read snapshots
//! outside the lock that orders its writes, and checks authorization (membership) on the same
//! snapshot it reads from; its writing side asks the same questions of the writer's
//! connection while it decides a write. One trait keeps both on one set of queries.

use rusqlite::Connection;

use crate::{
    access, accounts, conversations, dm, files, members, messages, rooms, search, Appended, ConvId,
    ConvSummary, Conversation, MemberInfo, Membership, MessageKind, RoomListing, Settings,
    SharedFile, Store, StoreError, StoredMessage, User, UserId,
};

mod sealed {
    /// Hands the queries their connection. Not nameable outside the crate, so no SQL can be
    /// run through it from outside.
    pub trait Connected {
        fn connection(&self) -> &rusqlite::Connection;
    }
}
pub(crate) use sealed::Connected;

impl Connected for Store {
    fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl Reads for Store {}

/// Everything that can be asked without writing. Import it to call these on a [`Store`] or a
/// [`Snapshot`](crate::Snapshot).
pub trait Reads: Connected {
    /// Looks up an account by username, case-insensitively, together with its password hash
    /// for login.
    fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        accounts::user_by_name(self.connection(), username)
    }

    /// Looks up an account by id.
    fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        accounts::user_by_id(self.connection(), id)
    }

    /// At most `limit` accounts whose username sorts after `after` (case-insensitively; from
    /// the first with `None`), in that order: one page of the user list.
    fn list_users(&self, after: Option<&str>, limit: u32) -> Result<Vec<User>, StoreError> {
        accounts::list_users(self.connection(), after, limit)
    }

    /// The `general` room.
    fn general(&self) -> Result<Conversation, StoreError> {
        rooms::general(self.connection())
    }

    /// Looks up a room by name (without `#`), case-insensitively.
    fn room_by_name(&self, name: &str) -> Result<Option<Conversation>, StoreError> {
        rooms::room_by_name(self.connection(), name)
    }

    /// At most `limit` rooms (not DMs) whose name sorts after `after` (from the first with
    /// `None`), by name, with their member counts: one page of every room, private ones too.
    fn list_rooms(&self, after: Option<&str>, limit: u32) -> Result<Vec<RoomListing>, StoreError> {
        rooms::list_rooms(self.connection(), None, after, limit)
    }

    /// Like [`Reads::list_rooms`], but only the rooms `viewer` may know of: public ones, and
    /// private ones they are a member of or invited to.
    fn rooms_visible_to(
        &self,
        viewer: UserId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RoomListing>, StoreError> {
        rooms::list_rooms(self.connection(), Some(viewer), after, limit)
    }

    /// Whether `user` holds an invitation to `conv`.
    fn is_invited(&self, conv: ConvId, user: UserId) -> Result<bool, StoreError> {
        access::is_invited(self.connection(), conv, user)
    }

    /// Whether `user` is banned from `conv`.
    fn is_banned(&self, conv: ConvId, user: UserId) -> Result<bool, StoreError> {
        access::is_banned(self.connection(), conv, user)
    }

    /// A user's typing-indicator and read-receipt settings.
    fn settings(&self, user: UserId) -> Result<Settings, StoreError> {
        accounts::settings(self.connection(), user)
    }

    /// The DM thread between `a` and `b`, if either has used it (never creates one).
    fn dm_between(&self, a: UserId, b: UserId) -> Result<Option<Conversation>, StoreError> {
        dm::dm_between(self.connection(), a, b)
    }

    /// Looks up a room or DM by id.
    fn conversation(&self, id: ConvId) -> Result<Option<Conversation>, StoreError> {
        conversations::load_conversation(self.connection(), id)
    }

    /// Every room and DM `user` currently belongs to, with read state. Rooms come first
    /// ordered by name, then DMs ordered by peer username.
    fn conversations_of(&self, user: UserId) -> Result<Vec<ConvSummary>, StoreError> {
        conversations::conversations_of(self.connection(), user)
    }

    /// `user`'s membership in `conv`, if any.
    fn membership(&self, conv: ConvId, user: UserId) -> Result<Option<Membership>, StoreError> {
        members::membership(self.connection(), conv, user)
    }

    /// At most `limit` members of `conv` who joined after the member at `after`
    /// ([`MemberInfo::position`]; from the first with 0), in the order they joined.
    fn members(&self, conv: ConvId, after: u64, limit: u32) -> Result<Vec<MemberInfo>, StoreError> {
        members::members(self.connection(), conv, after, limit)
    }

    /// Each member of `conv` with the seq after which they read (0: everything; see
    /// [`Membership::since_seq`]), in the order they joined.
    fn member_floors(&self, conv: ConvId) -> Result<Vec<(UserId, u64)>, StoreError> {
        members::member_floors(self.connection(), conv)
    }

    /// Ids of the members of `conv` in the order they joined; the cheap form for fanning out
    /// a new message.
    fn member_ids(&self, conv: ConvId) -> Result<Vec<UserId>, StoreError> {
        members::member_ids(self.connection(), conv)
    }

    /// Up to `limit` messages with `seq > after_seq`, oldest first; the catch-up query for a
    /// client that has seen everything up to `after_seq`.
    fn messages_after(
        &self,
        conv: ConvId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        messages::messages_after(self.connection(), conv, after_seq, limit)
    }

    /// The `limit` newest messages with `seq < before_seq`, returned oldest first; the query
    /// for scrolling back through history. Only what is shown as a message: changes to
    /// earlier messages are not (those messages show their state as it is now).
    fn messages_before(
        &self,
        conv: ConvId,
        before_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        messages::messages_before(self.connection(), conv, before_seq, 0, limit)
    }

    /// Like [`Reads::messages_before`], only messages after `since` (a member's
    /// [`Membership::since_seq`]).
    fn messages_before_since(
        &self,
        conv: ConvId,
        before_seq: u64,
        since: u64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        messages::messages_before(self.connection(), conv, before_seq, since, limit)
    }

    /// Entry `seq` of `conv` (a change entry with its target's state), if there is one.
    fn message(&self, conv: ConvId, seq: u64) -> Result<Option<StoredMessage>, StoreError> {
        messages::message(self.connection(), conv, seq)
    }

    /// The seq of `sender`'s newest text message in `conv` that was not deleted.
    fn last_message_of(&self, conv: ConvId, sender: UserId) -> Result<Option<u64>, StoreError> {
        messages::last_message_of(self.connection(), conv, sender)
    }

    /// The entry `sender` stored in `conv` under `client_id`, and its kind: how a resend is
    /// recognised.
    fn posted(
        &self,
        conv: ConvId,
        sender: UserId,
        client_id: &[u8; 16],
    ) -> Result<Option<(Appended, MessageKind)>, StoreError> {
        messages::posted(self.connection(), conv, sender, client_id)
    }

    /// Text messages and shared file names matching every word of `query` as they are now
    /// (edited text, not deleted ones), newest first, from the conversations `user` is
    /// currently a member of (in each, only what their membership lets them read); at most `limit`, all stored
    /// before the message at `before` ([`StoredMessage::position`]; `None`: from the newest).
    ///
    /// `query` is plain words, never FTS syntax; an empty query matches nothing.
    fn search(
        &self,
        user: UserId,
        query: &str,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        search::search(self.connection(), user, query, before, limit)
    }

    /// Looks up a shared file by id.
    fn shared_file(&self, id: i64) -> Result<Option<SharedFile>, StoreError> {
        files::shared_file(self.connection(), id)
    }

    /// Whether any share refers to content with this hash; the coordinator must keep such a
    /// blob.
    fn hash_is_shared(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        crate::references::hash_is_shared(self.connection(), hash)
    }

    /// Bytes of distinct content `user` has shared (the same content shared twice counts
    /// once): what their storage quota is measured against.
    fn storage_of(&self, user: UserId) -> Result<u64, StoreError> {
        files::storage_of(self.connection(), user)
    }

    /// Bytes of distinct shared content altogether: what the coordinator keeps on disk.
    fn storage_total(&self) -> Result<u64, StoreError> {
        files::storage_total(self.connection())
    }
}
