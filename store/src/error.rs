//! The single error type returned by every [`Store`](crate::Store) method.

/// Everything that can go wrong in the store.
///
/// Domain conflicts (`UsernameTaken`, `RoomExists`, ...) are separate
/// variants so the coordinator can turn them into user-facing replies without
/// inspecting SQLite error codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite (or rusqlite's value conversion) failed; usually I/O, a full
    /// disk, lock contention beyond the busy timeout, or a bug in this crate.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Another account already has this username, compared case-insensitively.
    #[error("username is already taken")]
    UsernameTaken,
    /// The username looks like an existing account's (see
    /// [`lookalike_keys`](crate::lookalike_keys)), which is named.
    #[error("username looks like the existing user {existing}")]
    UsernameLooksLike {
        /// The existing account's username.
        existing: String,
    },
    /// Another room already has this name, compared case-insensitively.
    #[error("a room with this name already exists")]
    RoomExists,
    /// The user is not a member of the conversation the operation needs
    /// membership in.
    #[error("not a member of this conversation")]
    NotMember,
    /// No conversation has the given id.
    #[error("no such conversation")]
    NoSuchConversation,
    /// No user has the given id.
    #[error("no such user")]
    NoSuchUser,
    /// [`Store::append_message`](crate::Store::append_message) was given
    /// [`MessageKind::File`](crate::MessageKind::File); a File message
    /// without its files row would have nothing to download, so those go
    /// through [`Store::share_file`](crate::Store::share_file).
    #[error("file messages must be added with share_file")]
    FileNeedsShare,
    /// A share's `(conversation, uploader, client id)` matches a stored
    /// message that is not a file, so it cannot be answered as a resend; a
    /// client bug, since client ids are meant to be unique.
    #[error("client id already used for a message that is not a file")]
    ClientIdReused,
    /// No message with that seq in that conversation (or it was deleted, or it cannot take
    /// that change).
    #[error("no such message")]
    NoSuchMessage,
    /// The message carries as many different reactions as allowed already.
    #[error("the message has {0} different reactions already")]
    TooManyReactions(usize),
    /// The database file failed its integrity check, or an invariant the
    /// schema guarantees (such as the `general` room existing) does not hold;
    /// the text says what was found.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// The file was written by a newer lanchat whose schema this build does
    /// not understand; opening it anyway could silently damage it.
    #[error("database schema version {found} is newer than supported version {supported}")]
    SchemaTooNew {
        /// The `user_version` found in the file.
        found: i64,
        /// The newest schema version this build can handle.
        supported: i64,
    },
}
