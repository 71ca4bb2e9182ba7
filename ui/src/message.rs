//! The one app-wide message type. Widgets and the engine bridge only send these; the
//! controller on the main thread handles them (fltk's `app::channel` is a single global
//! channel, so a second message type would silently eat this one's messages).
use lanchat_client::{Event, TransferKey};
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
    /// A line of a sidebar list was clicked: which list, which line (1-based), how.
    Picked(List, i32, Click),
    /// Send the typed message.
    Send,
    /// Offer a file to the person of the current direct conversation.
    SendFile,
    /// Share a file into the current conversation.
    ShareFile,
    /// Something clickable in the conversation was clicked.
    Clicked(Target),
    /// Load the page of history before what is shown.
    LoadOlder,
    /// A menu command.
    Menu(Action),
    /// Cancel a running transfer.
    Cancel(TransferKey),
    /// Close the main window: log out and quit.
    Quit,
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
}
