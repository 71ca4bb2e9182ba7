//! The main window: menu bar; left the rooms, direct conversations and people; centre the
//! conversation with its header, the transfer strip and the input; right the room's members.
use fltk::button::Button;
use fltk::enums::{Align, Event as FlEvent, Font, Key, Shortcut};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::input::MultilineInput;
use fltk::menu::{MenuBar, MenuFlag};
use fltk::prelude::*;
use fltk::{app, window::Window};
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::captions;
use lanchat_ui_model::model::Model;

use crate::conversation::ConversationView;
use crate::message::{Action, List, Message};
use crate::sidebar::{ListView, Sidebar};
use crate::transfers::TransferStrip;

/// The main window's widgets.
#[derive(Debug)]
pub struct MainWindow {
    /// The window.
    pub window: Window,
    /// Left and right lists.
    pub sidebar: Sidebar,
    /// The conversation.
    pub conversation: ConversationView,
    /// The message input.
    pub input: MultilineInput,
    centre: Flex,
    title: Frame,
    topic: Frame,
    transfers: TransferStrip,
    status: Frame,
    send_file: Button,
}

fn menu(sender: app::Sender<Message>) -> MenuBar {
    let mut bar = MenuBar::default();
    let items: &[(&str, Shortcut, Message)] = &[
        (
            "&Room/&Create room…",
            Shortcut::Ctrl | 'n',
            Message::Menu(Action::CreateRoom),
        ),
        (
            "&Room/&Join room…",
            Shortcut::Ctrl | 'j',
            Message::Menu(Action::JoinRoom),
        ),
        (
            "&Room/&Leave this room",
            Shortcut::None,
            Message::Menu(Action::LeaveRoom),
        ),
        (
            "&Room/Set &topic…",
            Shortcut::None,
            Message::Menu(Action::SetTopic),
        ),
        (
            "&Room/&Kick member…",
            Shortcut::None,
            Message::Menu(Action::Kick),
        ),
        (
            "&Room/&Promote member to admin…",
            Shortcut::None,
            Message::Menu(Action::Promote),
        ),
        (
            "&Conversation/&Direct message…",
            Shortcut::Ctrl | 'd',
            Message::Menu(Action::DirectMessage),
        ),
        (
            "&Conversation/&Mute or unmute",
            Shortcut::Ctrl | 'm',
            Message::Menu(Action::ToggleMute),
        ),
        (
            "&Conversation/Load &older messages",
            Shortcut::None,
            Message::LoadOlder,
        ),
        (
            "&Conversation/&Search history…",
            Shortcut::Ctrl | 'f',
            Message::Menu(Action::Search),
        ),
        (
            "&Conversation/Send &file to this person…",
            Shortcut::None,
            Message::SendFile,
        ),
        (
            "&Conversation/S&hare file here…",
            Shortcut::None,
            Message::ShareFile,
        ),
        (
            "&Me/Change display &name…",
            Shortcut::None,
            Message::Menu(Action::Nick),
        ),
        (
            "&Me/Change &password…",
            Shortcut::None,
            Message::Menu(Action::Password),
        ),
        ("&Me/&Away", Shortcut::None, Message::Menu(Action::Away)),
        ("&Me/&Back", Shortcut::None, Message::Menu(Action::Back)),
        ("&Me/&Quit", Shortcut::Ctrl | 'q', Message::Quit),
    ];
    for (path, shortcut, message) in items {
        bar.add_emit(path, *shortcut, MenuFlag::Normal, sender, message.clone());
    }
    bar
}

impl MainWindow {
    /// Builds the window (hidden).
    pub fn new(sender: app::Sender<Message>) -> Self {
        let (w, h) = app::screen_size();
        let (w, h) = (
            (w as i32 - 40).clamp(640, 1024),
            (h as i32 - 80).clamp(480, 700),
        );
        let mut window = Window::default().with_size(w, h).with_label("lanchat");
        window.size_range(600, 420, 0, 0);
        let mut outer = Flex::default_fill().column();
        let bar = menu(sender);
        outer.fixed(&bar, 28);

        let mut body = Flex::default().row();
        body.set_margin(6);
        body.set_pad(6);

        let mut left = Flex::default().column();
        let rooms = ListView::new("Rooms", List::Rooms, sender);
        left.fixed(&rooms.heading, 20);
        let direct = ListView::new("Direct", List::Direct, sender);
        left.fixed(&direct.heading, 20);
        let people = ListView::new("People", List::People, sender);
        left.fixed(&people.heading, 20);
        left.end();
        body.fixed(&left, 220);

        let mut centre = Flex::default().column();
        centre.set_pad(4);
        let mut title = Frame::default();
        title.set_align(Align::Left | Align::Inside);
        title.set_label_font(Font::HelveticaBold);
        title.set_label_size(18);
        centre.fixed(&title, 26);
        let mut topic = Frame::default();
        topic.set_align(Align::Left | Align::Inside | Align::Clip);
        centre.fixed(&topic, 20);
        let conversation = ConversationView::new(sender);
        let mut transfers = TransferStrip::new();
        // Hidden while empty (Flex skips hidden children).
        transfers.column.hide();
        let mut row = Flex::default().row();
        let mut input = MultilineInput::default();
        input.set_tooltip("Enter sends, Shift+Enter starts a new line");
        input.set_wrap(true);
        input.handle(move |i, ev| {
            if ev == FlEvent::KeyDown && matches!(app::event_key(), Key::Enter | Key::KPEnter) {
                if app::event_state().contains(Shortcut::Shift) {
                    let _ = i.insert("\n");
                } else {
                    sender.send(Message::Send);
                }
                return true;
            }
            false
        });
        let buttons = Flex::default().column();
        let mut send = Button::default().with_label("Send");
        send.emit(sender, Message::Send);
        let mut send_file = Button::default().with_label("Send file…");
        send_file.emit(sender, Message::SendFile);
        let mut share = Button::default().with_label("Share file…");
        share.emit(sender, Message::ShareFile);
        buttons.end();
        row.fixed(&buttons, 100);
        row.end();
        centre.fixed(&row, 84);
        let mut status = Frame::default();
        status.set_align(Align::Left | Align::Inside | Align::Clip);
        centre.fixed(&status, 20);
        centre.end();

        let mut right = Flex::default().column();
        let members = ListView::new("Members", List::Members, sender);
        right.fixed(&members.heading, 20);
        let mut hint =
            Frame::default().with_label("double-click: message\nright-click: kick/promote");
        hint.set_label_size(11);
        right.fixed(&hint, 30);
        right.end();
        body.fixed(&right, 170);
        body.end();
        outer.end();
        window.end();
        window.resizable(&outer);
        window.set_callback(move |_| {
            if app::event() == FlEvent::Close {
                sender.send(Message::Quit);
            }
        });
        MainWindow {
            window,
            sidebar: Sidebar::new(rooms, direct, people, members),
            conversation,
            input,
            centre,
            title,
            topic,
            transfers,
            status,
            send_file,
        }
    }

    /// Shows the model.
    pub fn render(&mut self, model: &Model, sender: app::Sender<Message>) {
        let title = captions::window_title(model);
        if self.window.label() != title {
            self.window.set_label(&title);
        }
        self.sidebar.render(model);
        let c = model.current_conv();
        // fltk reads `@` in a label as a symbol code.
        let heading = captions::conversation_heading(model);
        self.title.set_label(&heading.replace('@', "@@"));
        let topic = c.map(|c| c.topic.as_str()).unwrap_or_default();
        self.topic.set_label(&topic.replace('@', "@@"));
        self.conversation.render(&model.current, c);
        self.transfers.render(&model.transfers, sender);
        let height = self.transfers.height();
        if height == 0 {
            self.transfers.column.hide();
        } else {
            self.transfers.column.show();
            self.centre.fixed(&self.transfers.column, height);
        }
        self.centre.layout();
        let status = captions::status_bar(model);
        self.status.set_label(&status.replace('@', "@@"));
        if matches!(model.current, ConvRef::Dm(_)) {
            self.send_file.activate();
        } else {
            self.send_file.deactivate();
        }
        self.window.redraw();
    }
}
