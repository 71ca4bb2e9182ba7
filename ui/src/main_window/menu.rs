//! The main window's menu bar and its Ctrl+letter shortcuts (also run from the message
//! input, see [`SHORTCUTS`]).
use fltk::app;
use fltk::enums::{FrameType, Shortcut};
use fltk::menu::{MenuBar, MenuFlag};
use fltk::prelude::*;

use crate::message::{Action, Message};

/// Ctrl+letter shortcuts. The menu shows them, and the message input runs them too (a text
/// input would otherwise take Ctrl+M as a carriage return and Ctrl+J as a line feed).
pub const SHORTCUTS: &[(char, Message)] = &[
    ('n', Message::Menu(Action::CreateRoom)),
    ('j', Message::Menu(Action::JoinRoom)),
    ('d', Message::Menu(Action::DirectMessage)),
    ('m', Message::Menu(Action::ToggleMute)),
    ('f', Message::Menu(Action::Search)),
    ('k', Message::Menu(Action::QuickSwitch)),
    ('w', Message::Menu(Action::CloseConversation)),
    ('h', Message::CloseWindow),
    ('q', Message::Quit),
];

/// Menu paths of the toggles (their check marks follow the model and settings).
pub const MUTE: &str = "&Conversation/&Mute this conversation";
pub const DARK: &str = "&Settings/&Dark theme";
pub const NOTIFY: &str = "&Settings/Desktop &notifications";
pub const AUTOSTART: &str = "&Settings/&Start with the desktop session";
pub const TYPING: &str = "&Settings/Show and send &typing indicators";
pub const RECEIPTS: &str = "&Settings/Show and send &read receipts";

fn shortcut(message: &Message) -> Shortcut {
    let wanted = format!("{message:?}");
    SHORTCUTS
        .iter()
        .find(|(_, m)| format!("{m:?}") == wanted)
        .map_or(Shortcut::None, |(c, _)| Shortcut::Ctrl | *c)
}

pub fn menu(sender: app::Sender<Message>) -> MenuBar {
    let mut bar = MenuBar::default();
    bar.set_frame(FrameType::FlatBox);
    let normal = MenuFlag::Normal;
    let toggle = MenuFlag::Toggle;
    let items: Vec<(&str, MenuFlag, Message)> = vec![
        (
            "&Room/&Create room…",
            normal,
            Message::Menu(Action::CreateRoom),
        ),
        ("&Room/&Join room…", normal, Message::Menu(Action::JoinRoom)),
        (
            "&Room/&Leave this room",
            normal,
            Message::Menu(Action::LeaveRoom),
        ),
        ("&Room/Set &topic…", normal, Message::Menu(Action::SetTopic)),
        ("&Room/&Kick member…", normal, Message::Menu(Action::Kick)),
        (
            "&Room/&Promote member to admin…",
            normal,
            Message::Menu(Action::Promote),
        ),
        (
            "&Room/&Invite someone…",
            normal,
            Message::Menu(Action::Invite),
        ),
        ("&Room/&Ban someone…", normal, Message::Menu(Action::Ban)),
        ("&Room/Lift a ba&n…", normal, Message::Menu(Action::Unban)),
        (
            "&Room/Make private or public (owner)",
            normal,
            Message::Menu(Action::TogglePrivate),
        ),
        (
            "&Room/&Archive or bring back (owner)",
            normal,
            Message::Menu(Action::ToggleArchive),
        ),
        (
            "&Room/&Delete this room… (owner)",
            normal,
            Message::Menu(Action::DeleteRoom),
        ),
        (
            "&Conversation/&Go to…",
            normal,
            Message::Menu(Action::QuickSwitch),
        ),
        (
            "&Conversation/&Direct message…",
            normal,
            Message::Menu(Action::DirectMessage),
        ),
        (MUTE, toggle, Message::Menu(Action::ToggleMute)),
        (
            "&Conversation/&Close this direct conversation",
            normal,
            Message::Menu(Action::CloseConversation),
        ),
        (
            "&Conversation/Load &older messages",
            normal,
            Message::LoadOlder,
        ),
        (
            "&Conversation/&Search history…",
            normal,
            Message::Menu(Action::Search),
        ),
        ("&Conversation/&Attach a file…", normal, Message::Attach),
        (
            "&Me/Change display &name…",
            normal,
            Message::Menu(Action::Nick),
        ),
        (
            "&Me/Change &password…",
            normal,
            Message::Menu(Action::Password),
        ),
        ("&Me/&Away", normal, Message::Menu(Action::Away)),
        ("&Me/&Back", normal, Message::Menu(Action::Back)),
        ("&Me/&Hide to the tray", normal, Message::CloseWindow),
        ("&Me/&Sign out", normal, Message::Menu(Action::SignOut)),
        ("&Me/&Quit", normal, Message::Quit),
        (DARK, toggle, Message::Menu(Action::ToggleDark)),
        (NOTIFY, toggle, Message::Menu(Action::ToggleNotifications)),
        (AUTOSTART, toggle, Message::Menu(Action::ToggleAutostart)),
        (TYPING, toggle, Message::Menu(Action::ToggleTyping)),
        (RECEIPTS, toggle, Message::Menu(Action::ToggleReceipts)),
    ];
    for (path, flag, message) in items {
        bar.add_emit(path, shortcut(&message), flag, sender, message);
    }
    bar
}
