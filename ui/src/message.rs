//! The one app-wide message type. Widgets and the engine bridge only send these; the
//! controller on the main thread handles them (fltk's `app::channel` is a single global
//! channel, so a second message type would silently eat this one's messages).
use std::path::PathBuf;

use lanchat_client::{Event, TransferKey};
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::transcript::Target;

/// Something for the main thread to do.
#[derive(Debug, Clone)]
pub enum Message {
    /// An engine event; the number says which engine (events of a replaced engine are
    /// dropped). Boxed: events are large and every message is moved through the channel.
    Engine(u64, Box<Event>),
    /// Discovery has run for a while without an answer (for the engine with this number).
    DiscoveryTimeout(u64),
    /// Login window: log in / register with what is typed.
    Login,
    /// See [`Message::Login`].
    Register,
    /// Start a coordinator on this computer.
    HostHere,
    /// Look for a coordinator again.
    Retry,
    /// Use the typed coordinator address and fingerprint.
    ConnectTo,
    /// Trust the coordinator's changed fingerprint.
    TrustFingerprint,
    /// Keep refusing the coordinator's changed fingerprint.
    KeepRefusing,
    /// Trust the first contact selected in the login window.
    TrustFirstContact,
    /// A line of a sidebar list was clicked: which list, which line (1-based), how.
    Picked(List, i32, Click),
    /// Send the typed message.
    Send,
    /// A key was typed into the message input (the others may be told this user types).
    Typed,
    /// A typing notice's time may be up.
    TypingOver,
    /// Offer a file to the person of the current direct conversation.
    SendFile,
    /// Share a file into the current conversation.
    ShareFile,
    /// The one "Attach file…" button: offer to the person (direct) or share (room).
    Attach,
    /// Something clickable in the conversation was clicked.
    Clicked(Target),
    /// Load the page of history before what is shown.
    LoadOlder,
    /// A menu command.
    Menu(Action),
    /// Cancel a running transfer.
    Cancel(TransferKey),
    /// Open a received file.
    OpenFile(TransferKey),
    /// Show a received file in its folder.
    ShowInFolder(TransferKey),
    /// Take a finished transfer off the panel.
    Dismiss(TransferKey),
    /// Files dropped onto the conversation: offer (direct) or share (room).
    Dropped(Vec<PathBuf>),
    /// Insert this emoji at the cursor.
    Emoji(&'static str),
    /// The sidebar filter changed.
    Filter,
    /// Enter in the filter box: search all history for what is typed.
    SearchTyped,
    /// Show this conversation (a notification or a result was clicked), bringing the window
    /// forward.
    Open(ConvRef),
    /// Show the main window (tray).
    ShowWindow,
    /// A notice's time is up.
    ExpireNotice(u64),
    /// A second passed (while disconnected the banner counts down; typing notices expire).
    Tick,
    /// The main window's close button: hide to the tray while logged in (quit without one).
    CloseWindow,
    /// Quit: log out of this run (the kept session stays) and end.
    Quit,
    /// End the program now (quitting took long enough).
    Exit,
}

/// The sidebar lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Rooms this user is in.
    Rooms,
    /// Direct conversations.
    Direct,
    /// Everyone, with presence.
    People,
    /// Members of the current room.
    Members,
}

/// How a list line was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// Left button, once.
    Single,
    /// Left button, twice.
    Double,
    /// Right button (context menu).
    Right,
}

/// Menu commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create a room.
    CreateRoom,
    /// Join a room from the list.
    JoinRoom,
    /// Leave the current room.
    LeaveRoom,
    /// Set the current room's topic.
    SetTopic,
    /// Remove a member from the current room.
    Kick,
    /// Make a member an admin.
    Promote,
    /// Start a direct conversation.
    DirectMessage,
    /// Mute or unmute the current conversation.
    ToggleMute,
    /// Change display name.
    Nick,
    /// Change password.
    Password,
    /// Away.
    Away,
    /// Back.
    Back,
    /// Search history.
    Search,
    /// Jump to a conversation by typing part of its name (Ctrl+K).
    QuickSwitch,
    /// Close (hide) the current direct conversation.
    CloseConversation,
    /// Sign out: end the session and forget the kept one.
    SignOut,
    /// Dark theme on or off.
    ToggleDark,
    /// Desktop notifications on or off.
    ToggleNotifications,
    /// Start with the desktop session on or off.
    ToggleAutostart,
    /// Hide the search results.
    CloseSearch,
    /// Invite someone into the current room.
    Invite,
    /// Ban someone from the current room.
    Ban,
    /// Lift a ban in the current room.
    Unban,
    /// Make the current room private, or public again.
    TogglePrivate,
    /// Archive the current room, or bring it back.
    ToggleArchive,
    /// Delete the current room for everyone (asked first).
    DeleteRoom,
    /// Turn typing indicators on or off.
    ToggleTyping,
    /// Turn read receipts on or off.
    ToggleReceipts,
}
