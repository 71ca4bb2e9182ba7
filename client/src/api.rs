//! The engine's API: configuration, [`Command`]s in, [`Event`]s out.
use std::net::SocketAddr;
use std::path::PathBuf;

use lanchat_net::discovery::DiscoveryConfig;
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{
    ChatMessage, ConvRef, ConvSummary, ErrorCode, FileOffer, MemberInfo, MembershipChange, MsgId,
    RoomInfo, Setting, Settings, UserInfo,
};

/// Which transfer an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKey {
    /// A person-to-person offer (either direction), by offer id.
    Offer(u64),
    /// Uploading a file shared into a conversation, by the file message's id.
    Share(MsgId),
    /// Downloading a shared file, by file id.
    Download(u64),
}

impl std::fmt::Display for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransferKey::Offer(id) => write!(f, "offer {id}"),
            TransferKey::Share(id) => write!(f, "share {id}"),
            TransferKey::Download(id) => write!(f, "file {id}"),
        }
    }
}

/// A coordinator given explicitly (no discovery needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its QUIC address.
    pub addr: SocketAddr,
    /// Its fingerprint.
    pub pin: Pin,
}

/// How the engine finds and talks to the coordinator.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the known-coordinators file lives.
    pub data_dir: PathBuf,
    /// Multicast discovery. Required unless `coordinator` is given.
    pub discovery: Option<DiscoveryConfig>,
    /// Skip discovery and use this coordinator.
    pub coordinator: Option<Target>,
    /// Use any coordinator that answers, pinned or not, and pin it: an explicit choice to
    /// trust the network (for a coordinator reinstalled without its old key). Off: only pinned
    /// coordinators are used, and others wait for [`Command::AcceptFingerprint`].
    pub accept_new_fingerprint: bool,
    /// When nothing is pinned yet, use the first coordinator found without asking, and pin it
    /// (like SSH's `accept-new`). Off: a first contact waits for
    /// [`Command::AcceptFingerprint`] after [`Event::CoordinatorUnknown`].
    pub trust_first_contact: bool,
    /// Coordinators the user vouches for in advance (a fingerprint from a flag or an invite):
    /// used like pinned ones.
    pub trusted: Vec<Pin>,
    /// Addresses where a trusted coordinator may be found (from an invite): tried like the
    /// last address that worked, before any announcement.
    pub hints: Vec<Target>,
    /// Shown in the coordinator's logs.
    pub client_name: String,
    /// Where to accept direct file connections from other clients (port 0: any free port).
    /// None: files to this client always go through the coordinator's relay.
    pub peer_listen: Option<SocketAddr>,
    /// "Keep me signed in": at start, resume the session kept in `data_dir` (if any) without
    /// a password; after each login, keep the session there (a file only this user can read).
    /// [`Command::RememberSession`] changes it while running; [`Command::Logout`] forgets it.
    pub remember_session: bool,
}

/// What a front end asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create an account, then log in.
    Register {
        /// Username.
        username: String,
        /// Password.
        password: String,
    },
    /// Log in.
    Login {
        /// Username.
        username: String,
        /// Password.
        password: String,
    },
    /// Post a message (queued while disconnected, resent until acknowledged; sent no faster
    /// than the coordinator takes them, in order).
    Send {
        /// Where.
        conv: ConvRef,
        /// Text.
        text: String,
        /// Its id (see [`MsgId::random`]); [`Event::Sent`] carries it back.
        id: MsgId,
    },
    /// Post a reply to message `to` (queued and resent like [`Command::Send`]).
    Reply {
        /// Where.
        conv: ConvRef,
        /// The seq of the message answered.
        to: u64,
        /// Text.
        text: String,
        /// Its id; [`Event::Sent`] carries it back.
        id: MsgId,
    },
    /// Replace the text of one's own message `target` (`None`: one's last message in the
    /// conversation). Queued and resent like a message; [`Event::Sent`] answers it.
    Edit {
        /// Where.
        conv: ConvRef,
        /// Which message.
        target: Option<u64>,
        /// The new text.
        text: String,
        /// The change's id.
        id: MsgId,
    },
    /// Delete message `target` (one's own; the owner and admins of a room: anyone's there).
    Delete {
        /// Where.
        conv: ConvRef,
        /// Which message.
        target: u64,
        /// The change's id.
        id: MsgId,
    },
    /// Add a reaction to message `target`, or take it back (a toggle).
    React {
        /// Where.
        conv: ConvRef,
        /// Which message.
        target: u64,
        /// The emoji.
        emoji: String,
        /// The change's id.
        id: MsgId,
    },
    /// Older messages: the `limit` newest before `before` (`None`: the newest).
    History {
        /// Which conversation.
        conv: ConvRef,
        /// Exclusive upper bound.
        before: Option<u64>,
        /// How many.
        limit: u32,
    },
    /// Everything up to `seq` has been seen.
    MarkRead {
        /// Which conversation.
        conv: ConvRef,
        /// Up to here.
        seq: u64,
    },
    /// Create a room (you become its owner).
    CreateRoom(String),
    /// Create a private (invite-only) room.
    CreatePrivateRoom {
        /// Name.
        name: String,
        /// Members who join later read its whole history (otherwise from when they join).
        full_history: bool,
    },
    /// Let a user join a room (needed for a private room).
    Invite {
        /// Room.
        room: String,
        /// Username.
        user: String,
    },
    /// Remove a user from a room and keep them out.
    Ban {
        /// Room.
        room: String,
        /// Username.
        user: String,
    },
    /// Let a banned user join again.
    Unban {
        /// Room.
        room: String,
        /// Username.
        user: String,
    },
    /// Make a room private (invite-only) or public (the owner).
    SetPrivate {
        /// Room.
        room: String,
        /// Private or not.
        private: bool,
    },
    /// Archive a room (read-only) or bring it back (the owner).
    SetArchived {
        /// Room.
        room: String,
        /// Archived or not.
        archived: bool,
    },
    /// Delete a room with its history and files, for everyone (the owner).
    DeleteRoom(String),
    /// This user is typing in a conversation: call it on every keystroke; the engine tells the
    /// coordinator at most every [`lanchat_net::protocol::TYPING_INTERVAL_MS`], and not at all
    /// when typing indicators are off.
    Typing(ConvRef),
    /// Turn typing indicators or read receipts on or off (kept by the coordinator).
    SetSetting {
        /// Which.
        setting: Setting,
        /// On or off.
        on: bool,
    },
    /// Join a room.
    JoinRoom(String),
    /// Leave a room.
    LeaveRoom(String),
    /// List rooms.
    ListRooms,
    /// List a room's members.
    Members(String),
    /// Set a room's topic.
    SetTopic {
        /// Room.
        room: String,
        /// Topic.
        topic: String,
    },
    /// Remove a member from a room.
    Kick {
        /// Room.
        room: String,
        /// Username.
        user: String,
    },
    /// Make a member an admin.
    Promote {
        /// Room.
        room: String,
        /// Username.
        user: String,
    },
    /// List users with presence.
    Users,
    /// Search history.
    Search(String),
    /// Change display name.
    SetDisplay(String),
    /// Change password.
    ChangePassword {
        /// Current password.
        old: String,
        /// New password.
        new: String,
    },
    /// Away (true) or back (false).
    SetAway(bool),
    /// Mute or unmute a conversation.
    SetMuted {
        /// Which.
        conv: ConvRef,
        /// Muted?
        muted: bool,
    },
    /// Unread counts of every conversation.
    Summaries,
    /// Keep the session across runs (true) or forget the kept one (false); see
    /// [`EngineConfig::remember_session`].
    RememberSession(bool),
    /// Trust the coordinator with this certificate (after [`Event::CoordinatorUnknown`] or
    /// [`Event::FingerprintChanged`]): it is used, and pinned once its handshake proves it.
    AcceptFingerprint {
        /// Coordinator name (as shown to the person).
        name: String,
        /// Its fingerprint.
        fingerprint: Fingerprint,
    },
    /// Offer a file to a user (the recipient accepts or denies; its hash follows the bytes).
    SendFile {
        /// Recipient's username.
        to: String,
        /// The file (a folder sends its tree, as [`Command::SendFiles`]).
        path: PathBuf,
        /// Name to offer a single file under (default: the file's own name).
        name: Option<String>,
    },
    /// Offer several files and folders to a user as one offer: a folder sends its tree
    /// (regular files only; symbolic links are not followed, and what is left out is said in
    /// an [`Event::Error`]). The recipient accepts or denies the whole offer.
    SendFiles {
        /// Recipient's username.
        to: String,
        /// The files and folders.
        paths: Vec<PathBuf>,
    },
    /// Accept an offer; the file is saved in `dir`.
    AcceptOffer {
        /// Offer id.
        id: u64,
        /// Download directory.
        dir: PathBuf,
    },
    /// Deny an offer.
    DenyOffer(u64),
    /// Cancel an offer or its transfer (either side).
    CancelOffer(u64),
    /// Share a file into a conversation (kept by the coordinator for its members).
    ShareFile {
        /// Where.
        conv: ConvRef,
        /// The file.
        path: PathBuf,
    },
    /// Download a shared file into `dir`.
    Download {
        /// Shared file id.
        file: u64,
        /// Download directory.
        dir: PathBuf,
    },
    /// Log out (after everything sent before is acknowledged) and stop.
    Logout,
    /// Stop now without logging out.
    Shutdown,
}

/// What the engine tells a front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Looking for a coordinator on the LAN.
    Discovering,
    /// A coordinator was chosen.
    CoordinatorFound {
        /// Its name.
        name: String,
        /// Its QUIC address.
        addr: SocketAddr,
        /// Its fingerprint.
        fingerprint: Fingerprint,
        /// True when it was not pinned before (it will be after the handshake).
        first_use: bool,
    },
    /// A coordinator this client has never used answered: it is not used until the person
    /// checks its fingerprint and sends [`Command::AcceptFingerprint`].
    CoordinatorUnknown {
        /// The name it announces (anyone can announce any name).
        name: String,
        /// Where it says it is.
        addr: SocketAddr,
        /// Its certificate fingerprint.
        fingerprint: Fingerprint,
    },
    /// The pinned coordinator moved to a new key, handed over by a statement signed with the
    /// pinned one; the new key is pinned instead.
    CoordinatorRolledOver {
        /// Its name.
        name: String,
        /// The key pinned before.
        old: Fingerprint,
        /// The key pinned now.
        new: Fingerprint,
    },
    /// A coordinator announces the name of a pinned one with another key and no statement
    /// from the pinned key handing over to it; not connecting.
    FingerprintChanged {
        /// Coordinator name.
        name: String,
        /// Pinned fingerprint (short form).
        pinned: String,
        /// Offered fingerprint.
        offered: Fingerprint,
    },
    /// Connected and greeted (not logged in yet).
    Connected {
        /// Coordinator name.
        name: String,
        /// Its address.
        addr: SocketAddr,
    },
    /// Logged in (also after every reconnect).
    LoggedIn {
        /// This user.
        user: UserInfo,
        /// This user's settings.
        settings: Settings,
        /// Every conversation with its unread count.
        conversations: Vec<ConvSummary>,
        /// True when this is a reconnect of an earlier session.
        resumed: bool,
    },
    /// A message, delivered once and in order per conversation.
    Message {
        /// The message.
        message: ChatMessage,
        /// True when it comes from catch-up (unread from before, or missed while away)
        /// rather than live.
        backlog: bool,
    },
    /// An earlier message was edited, deleted or reacted to: `message` is the change's entry
    /// ([`ChatMessage::change`] says which message and how), carrying that message's state
    /// as it is now. Delivered once and in order with the messages.
    Changed {
        /// The change.
        message: ChatMessage,
        /// True when it comes from catch-up.
        backlog: bool,
    },
    /// A sent message (or an edit, deletion or reaction) was stored by the coordinator.
    Sent {
        /// Where.
        conv: ConvRef,
        /// Its id.
        id: MsgId,
        /// Its seq.
        seq: u64,
    },
    /// Answer to [`Command::History`] (oldest first).
    History {
        /// Which conversation.
        conv: ConvRef,
        /// The messages.
        messages: Vec<ChatMessage>,
    },
    /// Answer to [`Command::ListRooms`].
    Rooms(Vec<RoomInfo>),
    /// Answer to [`Command::Members`].
    Members {
        /// Room.
        room: String,
        /// Members.
        members: Vec<MemberInfo>,
    },
    /// Answer to [`Command::Users`].
    Users(Vec<UserInfo>),
    /// Answer to [`Command::Search`] (newest first).
    SearchResults {
        /// What was searched.
        query: String,
        /// What was found.
        messages: Vec<ChatMessage>,
    },
    /// Answer to [`Command::Summaries`].
    Summaries(Vec<ConvSummary>),
    /// A room was created or joined by this user.
    Joined(ConvSummary),
    /// A user's presence or display name changed, as the coordinator says (never a multicast
    /// beacon).
    Presence(UserInfo),
    /// Someone's membership of a room changed.
    Membership {
        /// Room.
        room: String,
        /// Whose.
        user: String,
        /// What changed.
        change: MembershipChange,
    },
    /// A topic changed.
    Topic {
        /// Room.
        room: String,
        /// New topic.
        topic: String,
        /// Who.
        by: String,
    },
    /// A read cursor or mute flag changed (possibly from another session of this user).
    ConvState(ConvSummary),
    /// Someone invited this user to a room (`/join` it).
    Invited {
        /// Room.
        room: String,
        /// Who.
        by: String,
    },
    /// A room became private or public, archived or not.
    RoomChanged {
        /// Room.
        room: String,
        /// Private now.
        private: bool,
        /// Archived now.
        archived: bool,
        /// Who changed it.
        by: String,
    },
    /// A room this user was in was deleted, for everyone.
    RoomDeleted {
        /// Room.
        room: String,
        /// Who deleted it.
        by: String,
    },
    /// Someone types in a conversation; show it until
    /// [`lanchat_net::protocol::TYPING_EXPIRY_MS`] pass without another, or their message
    /// arrives.
    Typing {
        /// Where.
        conv: ConvRef,
        /// Who.
        user: String,
    },
    /// The other person of a direct conversation has read up to `seq`.
    Seen {
        /// The conversation.
        conv: ConvRef,
        /// Who read.
        user: String,
        /// Up to here.
        seq: u64,
    },
    /// This user's settings, as the coordinator now keeps them.
    Settings(Settings),
    /// Someone offers this user a file: accept or deny it.
    FileOffered(FileOffer),
    /// This user's offer is registered; waiting for the recipient.
    OfferSent(FileOffer),
    /// The recipient answered an offer of this user.
    OfferAnswered {
        /// Offer id.
        id: u64,
        /// Accepted (the transfer starts) or denied.
        accepted: bool,
    },
    /// An offer was cancelled (by either side); its transfer stopped.
    OfferCancelled {
        /// Offer id.
        id: u64,
        /// Who cancelled.
        by: String,
    },
    /// Bytes are moving (for an offer: over all its files).
    TransferProgress {
        /// Which transfer.
        key: TransferKey,
        /// File name (an offer's label, see [`FileOffer::label`]).
        name: String,
        /// Bytes the receiver holds.
        done: u64,
        /// Total size.
        total: u64,
        /// Current rate in bytes per second.
        rate: u64,
        /// Estimated time left, if the rate is known.
        eta_ms: Option<u64>,
    },
    /// A transfer finished and the receiver verified the BLAKE3 hash (of every file).
    TransferDone {
        /// Which transfer.
        key: TransferKey,
        /// File name (an offer's label).
        name: String,
        /// Where it was saved (receiving side): the file or folder, or for an offer of
        /// several top-level files and folders, the download folder.
        path: Option<PathBuf>,
        /// Total size.
        size: u64,
        /// Bytes moved by the last attempt (less than `size` after a resume).
        moved: u64,
        /// For offers: true if it went directly between the clients, false through the relay.
        direct: Option<bool>,
    },
    /// A transfer failed; `reason` says why (a corrupt file names the file).
    TransferFailed {
        /// Which transfer.
        key: TransferKey,
        /// File name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A command without other output succeeded.
    Done {
        /// Which command.
        command: String,
    },
    /// A command failed, or something went wrong; `message` says why.
    Error {
        /// The coordinator's error code, if it came from the coordinator.
        code: Option<ErrorCode>,
        /// What went wrong.
        message: String,
        /// Which command it answers, if any.
        command: Option<String>,
    },
    /// The connection was lost; the engine retries by itself.
    Disconnected {
        /// Why.
        reason: String,
        /// When the next attempt starts.
        retry_in_ms: u64,
    },
    /// Logged out.
    LoggedOut,
    /// The engine has stopped; no more events follow.
    Stopped,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Neither discovery nor an explicit coordinator was configured.
    #[error("no way to find a coordinator: enable discovery or give an address and fingerprint")]
    NoCoordinator,
    /// The async runtime could not start.
    #[error("cannot start the engine runtime: {0}")]
    Runtime(std::io::Error),
    /// The multicast socket could not be set up.
    #[error("cannot join the multicast group: {0}")]
    Discovery(#[from] lanchat_net::discovery::DiscoveryError),
    /// The data directory could not be created or made private.
    #[error("cannot create the data directory: {0}")]
    DataDir(std::io::Error),
    /// The known-coordinators file could not be read.
    #[error("cannot read the known-coordinators file: {0}")]
    Known(std::io::Error),
    /// The direct file endpoint could not be set up.
    #[error("cannot listen for direct file transfers: {0}")]
    Peer(String),
    /// The engine thread died during start-up.
    #[error("the engine thread stopped during start-up")]
    Died,
}
