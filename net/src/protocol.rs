//! Wire types shared by coordinator and clients.
//!
//! Every frame on the chat stream is one of these enums, encoded with postcard (see
//! [`crate::codec`]). Client frames carry a request id; the coordinator answers each with a
//! [`ServerFrame::Reply`] carrying the same id, and pushes [`Event`]s in between. The sender of
//! a message is never a field the client fills in: the coordinator takes it from the session.
use serde::{Deserialize, Serialize};

use crate::opaque::OpaqueBytes;

/// Protocol version carried in [`Request::Hello`]; bump on any incompatible change.
/// Version 4: OPAQUE login and registration replace passwords sent inside TLS; list replies
/// are paged. Version 5: conversations an office expects — private rooms, invitations, bans,
/// archived and deleted rooms; edits, deletions, replies, reactions and mentions; typing
/// indicators, read receipts and the settings that turn them off. Version 6: an offer lists
/// several files (a folder's tree) and no longer carries a hash: each file's BLAKE3 follows
/// its bytes on the transfer stream.
pub const PROTOCOL_VERSION: u16 = 6;
/// ALPN identifier; a peer speaking another major version fails the TLS handshake.
pub const ALPN: &[u8] = b"lanchat/1";
/// Longest message text in bytes (UTF-8).
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Most messages one history reply carries; the client pages for more.
pub const MAX_HISTORY_PAGE: u32 = 50;
/// Most messages one page of search results carries.
pub const MAX_SEARCH_PAGE: u32 = MAX_HISTORY_PAGE;
/// Most entries one page of any other list carries (rooms, users, members, pending offers);
/// the reply says where the next page starts. How the largest pages fit in a frame is worked
/// out in `codec::tests::largest_pages_fit_in_a_frame`.
pub const MAX_LIST_PAGE: u32 = 200;
/// Longest search query, in bytes. A search runs the words against the whole full-text index
/// (a 469 KB query once took ten seconds); nobody types more than this.
pub const MAX_SEARCH_BYTES: usize = 256;
/// Most words in one search query.
pub const MAX_SEARCH_WORDS: usize = 8;
/// Longest reaction (an emoji, or a short word such as `+1`), in bytes.
pub const MAX_REACTION_BYTES: usize = 32;
/// Most different reactions one message carries; a new one beyond is refused.
pub const MAX_REACTIONS: usize = 20;
/// Most people one message mentions; further `@names` stay plain text.
pub const MAX_MENTIONS: usize = 20;
/// Longest quote of the message a reply answers, in characters.
pub const MAX_QUOTE_CHARS: usize = 200;
/// A client tells the coordinator that its user types at most this often per conversation.
pub const TYPING_INTERVAL_MS: u64 = 3000;
/// A typing indicator disappears by itself this long after the last notice.
pub const TYPING_EXPIRY_MS: u64 = 6000;

/// Whether a user is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PresenceStatus {
    /// At least one session is active and not away.
    Online,
    /// Every session of the user is marked away.
    Away,
    /// No session.
    Offline,
}

/// A conversation as one user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConvRef {
    /// A room, by name without the leading `#` (lower case).
    Room(String),
    /// A one-to-one conversation, by the other user's username.
    Dm(String),
}

impl std::fmt::Display for ConvRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvRef::Room(name) => write!(f, "#{name}"),
            ConvRef::Dm(user) => write!(f, "@{user}"),
        }
    }
}

/// A client-chosen message id: makes a resend after a reconnect idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MsgId(pub [u8; 16]);

impl MsgId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        MsgId(bytes)
    }
}

impl std::fmt::Display for MsgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Chat text, a line the coordinator writes (joins, leaves, kicks, topic changes), a shared
/// file, or a change to an earlier message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    /// Written by a user.
    Text,
    /// Written by the coordinator about something that happened.
    System,
    /// A file shared into the conversation; `file` says which, `text` is its name.
    File,
    /// An edit, a deletion or a reaction of the earlier message [`Change::target`]: an entry of
    /// the conversation's sequence like any other (so it reaches offline and reconnecting
    /// clients through the same catch-up, in order, once), not shown as a line of its own.
    /// The message's other fields carry the target's state as it is now.
    Change,
}

/// What a [`MessageKind::Change`] entry did to its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// Its text was replaced.
    Edited,
    /// It was deleted (its text is gone from the coordinator).
    Deleted,
    /// The entry's sender added (or took back) a reaction.
    Reacted {
        /// Which reaction.
        emoji: String,
        /// True: added; false: taken back.
        added: bool,
    },
}

/// The message a [`MessageKind::Change`] entry changed, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Seq of the changed message in the same conversation.
    pub target: u64,
    /// What happened to it.
    pub what: ChangeKind,
}

/// The message a reply answers, as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Its seq in the same conversation.
    pub seq: u64,
    /// Its sender's username.
    pub sender: String,
    /// The start of its text (at most [`MAX_QUOTE_CHARS`] characters); empty when it was
    /// deleted or is not shown to this reader.
    pub text: String,
    /// It was deleted.
    pub deleted: bool,
}

/// One reaction on a message and how many people gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji (or short word).
    pub emoji: String,
    /// How many people reacted with it.
    pub count: u32,
}

/// A file shared in a conversation and kept by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedFile {
    /// Id for downloading (`/get ID`).
    pub id: u64,
    /// Name as the uploader gave it (sanitize before use).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the content.
    pub hash: [u8; 32],
    /// Who shared it.
    pub uploader: String,
}

/// One file of an offer: where it goes relative to the recipient's chosen folder, and its
/// size. The path comes from the sender: receivers sanitize every component before use (see
/// [`crate::transfer::manifest`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferEntry {
    /// Path components, the first being the top-level name (a file, or the folder it is in).
    pub path: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}

impl OfferEntry {
    /// The path as shown to people: components joined with `/`.
    pub fn display_path(&self) -> String {
        self.path.join("/")
    }
}

/// Files one person offers to another: one file, several, or a folder's tree. Accepted or
/// denied as a whole. No hash: each file's BLAKE3 follows its bytes on the transfer stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOffer {
    /// Chosen by the coordinator.
    pub id: u64,
    /// Sender's username.
    pub from: String,
    /// Recipient's username.
    pub to: String,
    /// The files, in the order they are sent (at most
    /// [`MAX_OFFER_FILES`](crate::transfer::manifest::MAX_OFFER_FILES)).
    pub files: Vec<OfferEntry>,
    /// Their total size in bytes (checked by the coordinator: no overflow).
    pub size: u64,
}

impl FileOffer {
    /// The distinct top-level names, in order (a folder's name, or loose files' names).
    pub fn top_level(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for entry in &self.files {
            if let Some(first) = entry.path.first() {
                if !seen.contains(&first.as_str()) {
                    seen.push(first);
                }
            }
        }
        seen
    }

    /// A short label: the file's name for one file; otherwise the top-level names (at most
    /// three) and the file count, e.g. `photos (120 files)`.
    pub fn label(&self) -> String {
        if let [one] = self.files.as_slice() {
            return one.display_path();
        }
        let top = self.top_level();
        let mut names = top.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        if top.len() > 3 {
            names.push_str(&format!(" +{}", top.len() - 3));
        }
        format!("{names} ({} files)", self.files.len())
    }
}

/// Where a client accepts direct file connections, and the certificate it presents there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerEndpoint {
    /// Address (the coordinator fills in the IP it sees the client at).
    pub addr: std::net::SocketAddr,
    /// BLAKE3 of the client's certificate.
    pub fingerprint: [u8; 32],
}

/// Permission to upload one shared file to the coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    /// Which upload.
    pub id: u64,
    /// Secret to present on the upload stream.
    pub token: [u8; 32],
    /// A fresh random key: the upload stream opens with the keyed BLAKE3 of the content under
    /// it, which proves the uploader holds the content (knowing its hash is not enough); only
    /// then does the coordinator say whether it needs the bytes.
    pub nonce: [u8; 32],
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The conversation, from the receiving user's point of view.
    pub conv: ConvRef,
    /// Position in the conversation (1, 2, 3, … without gaps).
    pub seq: u64,
    /// The client-chosen id.
    pub id: MsgId,
    /// Username of the sender (taken from the session).
    pub sender: String,
    /// Display name of the sender when the message was read.
    pub sender_display: String,
    /// Coordinator time of storage, milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// Text or system line.
    pub kind: MessageKind,
    /// The text.
    pub text: String,
    /// For [`MessageKind::File`]: the file.
    pub file: Option<SharedFile>,
    /// The text was edited after it was posted.
    pub edited: bool,
    /// The message was deleted: its text (and file) are gone.
    pub deleted: bool,
    /// For a reply: the message it answers (boxed, like `change`: most messages have
    /// neither, and every event is as large as its largest message).
    pub reply_to: Option<Box<Quote>>,
    /// Reactions, in the order they were first given.
    pub reactions: Vec<Reaction>,
    /// Usernames the coordinator recognised as mentioned (`@name` in the text; at most
    /// [`MAX_MENTIONS`]).
    pub mentions: Vec<String>,
    /// `@room` by the room's owner or an admin: everyone in it is mentioned.
    pub mentions_room: bool,
    /// For [`MessageKind::Change`]: which message changed, and how.
    pub change: Option<Box<Change>>,
}

impl ChatMessage {
    /// A text message `text` from `sender` (also its display name) at seq `seq` of `conv`,
    /// and nothing more (id all zeros, time 0, not edited, no reply, no reactions, no
    /// mentions): what a test or a tool builds before setting the fields it cares about.
    pub fn plain(conv: ConvRef, seq: u64, sender: &str, text: &str) -> ChatMessage {
        ChatMessage {
            conv,
            seq,
            id: MsgId([0; 16]),
            sender: sender.into(),
            sender_display: sender.into(),
            ts_ms: 0,
            kind: MessageKind::Text,
            text: text.into(),
            file: None,
            edited: false,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            change: None,
        }
    }

    /// Whether `user` is mentioned by name or by `@room` (never by their own message).
    pub fn mentions_user(&self, user: &str) -> bool {
        !self.sender.eq_ignore_ascii_case(user)
            && (self.mentions_room || self.mentions.iter().any(|m| m.eq_ignore_ascii_case(user)))
    }
}

/// A member's role in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// May read and post.
    Member,
    /// May also kick members and promote them to admin.
    Admin,
    /// Created the room or inherited it; an admin who cannot be kicked.
    Owner,
}

/// What a user learns about each of their conversations at login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvSummary {
    /// Which conversation.
    pub conv: ConvRef,
    /// Room topic (empty for DMs).
    pub topic: String,
    /// Highest sequence number in the conversation.
    pub last_seq: u64,
    /// The user's read cursor.
    pub read_seq: u64,
    /// Muted by this user.
    pub muted: bool,
    /// The user's role (Member for DMs).
    pub role: Role,
    /// Messages after the read cursor that are shown as messages (changes to earlier ones and
    /// deleted ones are not counted).
    pub unread: u64,
    /// Of those, the ones that mention the user (by name, or `@room`).
    pub mentions: u64,
    /// A private (invite-only) room.
    pub private: bool,
    /// An archived room: read-only.
    pub archived: bool,
    /// For a direct conversation: how far the other person has read, when both have read
    /// receipts on.
    pub peer_read: Option<u64>,
}

/// One room in the room list (private rooms only for their members and those invited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    /// Name without `#`.
    pub name: String,
    /// Topic.
    pub topic: String,
    /// Member count.
    pub members: u64,
    /// Invite-only.
    pub private: bool,
    /// Read-only.
    pub archived: bool,
}

/// What a user chose to share and see beyond messages (kept by the coordinator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Typing indicators: others see when this user types, and this user sees theirs.
    pub typing: bool,
    /// Read receipts in direct conversations: the other person sees how far this user has
    /// read, and this user sees theirs (only when both have them on).
    pub receipts: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            typing: true,
            receipts: true,
        }
    }
}

/// One setting of [`Settings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    /// [`Settings::typing`].
    Typing,
    /// [`Settings::receipts`].
    Receipts,
}

/// What a [`Request::Change`] does to its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeRequest {
    /// Replace the text of one's own message.
    Edit {
        /// The new text, at most [`MAX_TEXT_BYTES`].
        text: String,
    },
    /// Delete one's own message (the owner and admins of a room: anyone's there).
    Delete,
    /// Add this reaction, or take it back if already given (a toggle).
    React {
        /// At most [`MAX_REACTION_BYTES`], no spaces or control characters.
        emoji: String,
    },
}

/// One member of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Username.
    pub username: String,
    /// Display name.
    pub display: String,
    /// Role in the room.
    pub role: Role,
    /// Whether the member is online now.
    pub status: PresenceStatus,
}

/// A registered user and their presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Username (unique, case-insensitive).
    pub username: String,
    /// Display name (nickname).
    pub display: String,
    /// Presence.
    pub status: PresenceStatus,
}

/// A frame from client to coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// Chosen by the client; echoed in the reply.
    pub id: u64,
    /// What the client asks.
    pub request: Request,
}

/// Everything a client can ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// First frame on a connection.
    Hello {
        /// The client's [`PROTOCOL_VERSION`].
        version: u16,
        /// Free-form client name for logs.
        client: String,
    },
    /// Start creating an account: the OPAQUE registration request (the password stays on
    /// the client; see [`crate::opaque`]). Answered with [`Reply::RegisterResponse`].
    RegisterStart {
        /// Wanted username.
        username: String,
        /// The blinded password (OPAQUE registration request).
        request: OpaqueBytes,
    },
    /// Finish creating an account, or upgrading a legacy one (after
    /// [`Request::LegacyLogin`]): the OPAQUE record the coordinator keeps. Answered with
    /// [`Reply::LoggedIn`].
    RegisterFinish {
        /// The OPAQUE registration upload.
        upload: OpaqueBytes,
    },
    /// Start logging in: the OPAQUE credential request. Answered with
    /// [`Reply::LoginResponse`] (for an unknown name too, indistinguishably), or
    /// [`Reply::LegacyAccount`] for an account that has only an old Argon2 hash.
    LoginStart {
        /// Username.
        username: String,
        /// The blinded password and the first key-exchange message (OPAQUE KE1).
        request: OpaqueBytes,
    },
    /// Finish logging in: the client's proof (OPAQUE KE3). Answered with [`Reply::LoggedIn`].
    LoginFinish {
        /// The OPAQUE credential finalization.
        finalization: OpaqueBytes,
    },
    /// After [`Reply::LegacyAccount`]: the password, checked once against the old Argon2
    /// hash, and the OPAQUE registration request that replaces that hash. Answered with
    /// [`Reply::RegisterResponse`]; [`Request::RegisterFinish`] completes the upgrade.
    LegacyLogin {
        /// The password (the only request that carries one).
        password: String,
        /// The blinded password (OPAQUE registration request).
        request: OpaqueBytes,
    },
    /// Log in again with a session token after a reconnect.
    Resume {
        /// Token from [`Reply::LoggedIn`].
        token: [u8; 32],
    },
    /// End the session and forget its token.
    Logout,
    /// Post a message.
    Send {
        /// Where.
        conv: ConvRef,
        /// Client-chosen id (idempotent resend).
        id: MsgId,
        /// The text, at most [`MAX_TEXT_BYTES`].
        text: String,
        /// The seq of the message this answers, for a reply.
        reply_to: Option<u64>,
    },
    /// Edit, delete or react to an earlier message. Stored as an entry of the conversation
    /// (answered with [`Reply::Sent`]), so it is idempotent by `id` like a message.
    Change {
        /// Where.
        conv: ConvRef,
        /// Client-chosen id of the change (idempotent resend).
        id: MsgId,
        /// The seq of the message to change; `None` (edits only): the sender's last message
        /// in the conversation.
        target: Option<u64>,
        /// What to do.
        change: ChangeRequest,
    },
    /// Messages with `seq > after`, oldest first (catch-up).
    After {
        /// Which conversation.
        conv: ConvRef,
        /// Exclusive lower bound.
        after: u64,
        /// At most this many (capped at [`MAX_HISTORY_PAGE`]).
        limit: u32,
    },
    /// The `limit` newest messages with `seq < before`, oldest first (scrollback).
    Before {
        /// Which conversation.
        conv: ConvRef,
        /// Exclusive upper bound (`u64::MAX` for the newest).
        before: u64,
        /// At most this many (capped at [`MAX_HISTORY_PAGE`]).
        limit: u32,
    },
    /// Move the read cursor forward.
    MarkRead {
        /// Which conversation.
        conv: ConvRef,
        /// Everything up to and including this seq is read.
        seq: u64,
    },
    /// Create a room; the creator becomes its owner.
    CreateRoom {
        /// Name without `#`.
        name: String,
        /// Invite-only: only members and those invited see it, join it or read it.
        private: bool,
        /// For a private room: members who join later read its whole history (otherwise
        /// they read from the moment they joined).
        full_history: bool,
    },
    /// Join a room.
    JoinRoom {
        /// Name without `#`.
        name: String,
    },
    /// Leave a room.
    LeaveRoom {
        /// Name without `#`.
        name: String,
    },
    /// One page of the rooms with member counts, by name.
    ListRooms {
        /// Start after this room name (`None`: from the first); the previous page's `next`.
        after: Option<String>,
    },
    /// One page of the members of a room, in the order they joined.
    Members {
        /// Name without `#`.
        name: String,
        /// Start after this position (0: from the first); the previous page's `next`.
        after: u64,
    },
    /// Set a room's topic.
    SetTopic {
        /// Name without `#`.
        name: String,
        /// New topic.
        topic: String,
    },
    /// Remove a member from a room (owner/admins only).
    Kick {
        /// Room.
        name: String,
        /// Username to remove.
        user: String,
    },
    /// Make a member an admin (owner/admins only).
    Promote {
        /// Room.
        name: String,
        /// Username to promote.
        user: String,
    },
    /// Let a user join a room (owner/admins; needed to join a private room).
    Invite {
        /// Room.
        name: String,
        /// Username.
        user: String,
    },
    /// Remove a user from a room and keep them out (owner/admins).
    Ban {
        /// Room.
        name: String,
        /// Username.
        user: String,
    },
    /// Let a banned user join again (owner/admins).
    Unban {
        /// Room.
        name: String,
        /// Username.
        user: String,
    },
    /// Make a room private or public (the owner).
    SetPrivate {
        /// Room.
        name: String,
        /// True: invite-only.
        private: bool,
    },
    /// Archive a room (read-only, history kept) or bring it back (the owner).
    SetArchived {
        /// Room.
        name: String,
        /// True: archived.
        archived: bool,
    },
    /// Delete a room with its history and files, for everyone (the owner).
    DeleteRoom {
        /// Room.
        name: String,
    },
    /// The user is typing in a conversation (a client sends this at most every
    /// [`TYPING_INTERVAL_MS`]; the coordinator passes on fewer still).
    Typing {
        /// Where.
        conv: ConvRef,
    },
    /// Turn one of the user's [`Settings`] on or off.
    SetSetting {
        /// Which.
        setting: Setting,
        /// On or off.
        on: bool,
    },
    /// One page of the registered users with presence, by username.
    Users {
        /// Start after this username (`None`: from the first); the previous page's `next`.
        after: Option<String>,
    },
    /// Full-text search over the user's conversations, newest first, one page at a time.
    Search {
        /// Words to find: at most [`MAX_SEARCH_BYTES`] bytes, [`MAX_SEARCH_WORDS`] words.
        query: String,
        /// At most this many results (and at most [`MAX_SEARCH_PAGE`] in one reply).
        limit: u32,
        /// Only older than this (`None`: from the newest); the previous page's `next`.
        before: Option<u64>,
    },
    /// Change the display name.
    SetDisplay {
        /// New display name.
        display: String,
    },
    /// Start changing the password: a proof of the current one (OPAQUE credential request)
    /// and the new one's registration request. Answered with [`Reply::PasswordResponse`].
    PasswordStart {
        /// OPAQUE credential request with the current password.
        login: OpaqueBytes,
        /// OPAQUE registration request with the new password.
        registration: OpaqueBytes,
    },
    /// Finish changing the password: the proof and the new record. Every other session's
    /// token stops working.
    PasswordFinish {
        /// OPAQUE credential finalization (proves the current password).
        finalization: OpaqueBytes,
        /// OPAQUE registration upload (the new record).
        upload: OpaqueBytes,
    },
    /// Mark this session away (or back).
    SetAway {
        /// True for away.
        away: bool,
    },
    /// Mute or unmute a conversation.
    SetMuted {
        /// Which conversation.
        conv: ConvRef,
        /// True to mute.
        muted: bool,
    },
    /// Unread counts of every conversation.
    Summaries,
    /// Where this session accepts direct file connections (port; the coordinator sees the IP).
    SetPeerEndpoint {
        /// UDP port of the client's file endpoint.
        port: u16,
        /// BLAKE3 of the client's certificate.
        fingerprint: [u8; 32],
    },
    /// One page of the file offers waiting for this user's answer (asked after login).
    PendingOffers {
        /// Start after this offer id (0: from the first); the previous page's `next`.
        after: u64,
    },
    /// Offer files to a user (online or not): one file, several, or a folder's tree.
    OfferFile {
        /// Recipient's username.
        to: String,
        /// The files, in the order they will be sent (bounds in
        /// [`crate::transfer::manifest`]).
        files: Vec<OfferEntry>,
    },
    /// Accept or deny an offer made to this user.
    AnswerOffer {
        /// Offer id.
        id: u64,
        /// True to accept.
        accept: bool,
    },
    /// Withdraw (sender) or abandon (recipient) an offer, also during the transfer.
    CancelOffer {
        /// Offer id.
        id: u64,
    },
    /// The recipient verified an offer's file: the offer and its token are spent.
    OfferDone {
        /// Offer id.
        id: u64,
    },
    /// Share a file into a conversation (the coordinator keeps it).
    ShareFile {
        /// Where.
        conv: ConvRef,
        /// Client-chosen id of the file message (idempotent).
        id: MsgId,
        /// File name.
        name: String,
        /// Size in bytes.
        size: u64,
        /// BLAKE3 of the content.
        hash: [u8; 32],
    },
    /// Is this connection still alive? Answered with `Ok` (a client checks this when an
    /// announcement claims its coordinator restarted: beacons can be forged, the connection
    /// cannot).
    Ping,
}

/// A frame from coordinator to client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// The answer to the client frame with this id.
    Reply {
        /// Id of the request.
        id: u64,
        /// What happened.
        result: Result<Reply, ErrorInfo>,
    },
    /// Something happened that the user should see.
    Event(Event),
}

/// Successful answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Nothing to report.
    Ok,
    /// Answer to Hello.
    Welcome {
        /// The coordinator's protocol version.
        version: u16,
        /// The coordinator's name.
        name: String,
        /// Its key rollovers, oldest first (at most [`crate::rollover::MAX_CHAIN`]): how a
        /// client that pinned an earlier key of this coordinator learns to trust this one.
        rollover: Vec<crate::rollover::Rollover>,
    },
    /// Answer to RegisterStart and LegacyLogin: the coordinator's OPAQUE registration
    /// response.
    RegisterResponse {
        /// The OPAQUE registration response.
        response: OpaqueBytes,
    },
    /// Answer to LoginStart: the coordinator's OPAQUE credential response (KE2).
    LoginResponse {
        /// The OPAQUE credential response.
        response: OpaqueBytes,
    },
    /// Answer to LoginStart for an account that still has only an Argon2 hash from before
    /// OPAQUE: send the password once with [`Request::LegacyLogin`] to upgrade it. A client
    /// does so only with a coordinator it had pinned before, and never after it has logged in
    /// to this coordinator as this user with OPAQUE (that would be a downgrade).
    LegacyAccount,
    /// Answer to PasswordStart.
    PasswordResponse {
        /// The OPAQUE credential response for the current password.
        login: OpaqueBytes,
        /// The OPAQUE registration response for the new one.
        registration: OpaqueBytes,
    },
    /// Answer to RegisterFinish, LoginFinish and Resume.
    LoggedIn {
        /// The user.
        user: UserInfo,
        /// The user's settings.
        settings: Settings,
        /// Session token for [`Request::Resume`].
        token: [u8; 32],
        /// Every conversation the user is in.
        conversations: Vec<ConvSummary>,
    },
    /// A message (or a change, [`Request::Change`]) was stored (committed) under this seq.
    Sent {
        /// Where.
        conv: ConvRef,
        /// The client's id.
        id: MsgId,
        /// Its seq.
        seq: u64,
        /// Storage time.
        ts_ms: i64,
    },
    /// A page of history, oldest first.
    Messages {
        /// Which conversation.
        conv: ConvRef,
        /// The messages.
        messages: Vec<ChatMessage>,
    },
    /// Answer to ListRooms: one page.
    Rooms {
        /// At most [`MAX_LIST_PAGE`] rooms.
        rooms: Vec<RoomInfo>,
        /// Where the next page starts; `None` when this was the last.
        next: Option<String>,
    },
    /// Answer to Members: one page.
    Members {
        /// Room.
        name: String,
        /// At most [`MAX_LIST_PAGE`] of its members.
        members: Vec<MemberInfo>,
        /// Where the next page starts; `None` when this was the last.
        next: Option<u64>,
    },
    /// Answer to Users: one page.
    Users {
        /// At most [`MAX_LIST_PAGE`] users.
        users: Vec<UserInfo>,
        /// Where the next page starts; `None` when this was the last.
        next: Option<String>,
    },
    /// Answer to Search, newest first: one page.
    SearchResults {
        /// At most [`MAX_SEARCH_PAGE`] messages.
        messages: Vec<ChatMessage>,
        /// Where the next page starts; `None` when nothing older matches.
        next: Option<u64>,
    },
    /// Answer to PendingOffers: one page.
    Offers {
        /// At most [`MAX_LIST_PAGE`] offers waiting for this user's answer.
        offers: Vec<FileOffer>,
        /// Where the next page starts; `None` when this was the last.
        next: Option<u64>,
    },
    /// Answer to Summaries, and to CreateRoom/JoinRoom (the new conversation).
    Summaries(Vec<ConvSummary>),
    /// Answer to OfferFile.
    Offered(FileOffer),
    /// Answer to an accepting AnswerOffer: the token the sender will present.
    Accepted {
        /// Offer id.
        id: u64,
        /// One-time token bound to this offer.
        token: [u8; 32],
    },
    /// Answer to ShareFile: open an upload stream with this ticket. The answer is the same
    /// whether or not the coordinator has the content already: it says so on the upload
    /// stream, and only to a client that proved it holds the content.
    ShareReady {
        /// The upload's ticket.
        ticket: UploadTicket,
    },
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The frame made no sense here.
    BadRequest,
    /// Client and coordinator speak different protocol versions.
    VersionMismatch,
    /// Log in first.
    NotAuthenticated,
    /// Unknown user, wrong password, or too many attempts (deliberately indistinguishable).
    AuthFailed,
    /// The session token is unknown or expired; log in with the password.
    SessionExpired,
    /// The username is already registered.
    UsernameTaken,
    /// The password does not meet the policy.
    WeakPassword,
    /// A username, room name or display name is not allowed.
    InvalidName,
    /// No registered user by that name.
    NoSuchUser,
    /// No room by that name.
    NoSuchRoom,
    /// A room by that name exists.
    RoomExists,
    /// The user is not a member of that room.
    NotMember,
    /// The user may not do that.
    PermissionDenied,
    /// Text or file over the limit.
    TooLarge,
    /// No such file offer or shared file (or not for this user).
    NoSuchFile,
    /// Slow down (too many attempts, or the coordinator is busy): the message says when to
    /// try again.
    RateLimited,
    /// A limit on what one user (or everyone together) may have stored or waiting was
    /// reached: storage quota, pending offers, uploads in progress. The message says which.
    QuotaExceeded,
    /// Something failed on the coordinator (the message says what).
    Internal,
    /// The user is banned from that room.
    Banned,
    /// No such message in that conversation (or it was deleted).
    NoSuchMessage,
}

/// A refusal with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Machine-readable kind.
    pub code: ErrorCode,
    /// Says why, in plain words.
    pub message: String,
}

impl ErrorInfo {
    /// Shorthand constructor.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorInfo {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What changed in a room's membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Joined (or created) the room.
    Joined,
    /// Left the room.
    Left,
    /// Removed by someone.
    Kicked {
        /// Who removed them.
        by: String,
    },
    /// Became admin.
    Promoted {
        /// Who promoted them.
        by: String,
    },
    /// Became owner (succession after the owner left).
    Owner,
    /// Removed and kept out by someone.
    Banned {
        /// Who banned them.
        by: String,
    },
}

/// Pushed by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A new message in one of the user's conversations.
    Message(ChatMessage),
    /// A user's presence changed (or their display name).
    Presence(UserInfo),
    /// Someone's membership in a room changed (sent to members, and to the user concerned).
    Membership {
        /// Room name.
        room: String,
        /// Whose membership.
        user: String,
        /// What changed.
        change: MembershipChange,
    },
    /// A room's topic changed.
    Topic {
        /// Room name.
        room: String,
        /// New topic.
        topic: String,
        /// Who set it.
        by: String,
    },
    /// Another session of this user moved a read cursor or a mute flag.
    ConvState(ConvSummary),
    /// Someone offers this user a file (those waiting from before a login are read with
    /// [`Request::PendingOffers`]).
    FileOffer(FileOffer),
    /// The recipient answered this user's offer.
    OfferAnswered {
        /// Offer id.
        id: u64,
        /// Accepted or denied.
        accepted: bool,
        /// When accepted: the one-time token to present.
        token: Option<[u8; 32]>,
        /// When accepted and the recipient can take direct connections: where.
        peer: Option<PeerEndpoint>,
    },
    /// An offer was cancelled by one side (sent to both).
    OfferCancelled {
        /// Offer id.
        id: u64,
        /// Who cancelled.
        by: String,
    },
    /// The sender is waiting at the coordinator to relay an accepted offer: open a relay
    /// stream as the receiver.
    RelayRequested {
        /// Offer id.
        id: u64,
    },
    /// Someone invited this user to a room.
    Invited {
        /// Room name.
        room: String,
        /// Who invited them.
        by: String,
    },
    /// A room was made private or public, archived or brought back (sent to its members).
    RoomChanged {
        /// Room name.
        room: String,
        /// Invite-only now.
        private: bool,
        /// Read-only now.
        archived: bool,
        /// Who changed it.
        by: String,
    },
    /// A room was deleted with its history, for everyone (sent to its members).
    RoomDeleted {
        /// Room name.
        room: String,
        /// Who deleted it.
        by: String,
    },
    /// Someone is typing in a conversation of this user; shown until [`TYPING_EXPIRY_MS`]
    /// pass without another, or their message arrives.
    Typing {
        /// Where (as this user names it).
        conv: ConvRef,
        /// Who.
        user: String,
    },
    /// The other person of a direct conversation has read up to `seq` (read receipts on
    /// both sides).
    Seen {
        /// The conversation (named by the other person).
        conv: ConvRef,
        /// Who read.
        user: String,
        /// Up to here.
        seq: u64,
    },
    /// This user's settings changed (in another of their sessions).
    Settings(Settings),
    /// The coordinator is shutting down.
    Shutdown {
        /// Why.
        reason: String,
    },
}
