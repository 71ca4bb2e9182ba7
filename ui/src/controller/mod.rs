//! The controller: owns the engine, the model, the settings, the desktop services and the
//! windows, and handles every [`Message`] on the main thread. Engine events update the model
//! (then the windows render it); widget messages become engine commands.
//!
//! # Layout
//! - this file: starting, engine events, logging in and out, windows and tray.
//! - `actions`: the menu commands and the lists' clicks.
//! - `conversation`: a message's menu (reply, react, edit, delete), rooms with boundaries,
//!   the typing and read-receipt settings, typing notices.
//! - `files`: attaching, dropping, offers, and opening received files.
//! - `session`: signing in and out, hosting or naming a coordinator, quitting.
mod actions;
mod conversation;
mod files;
mod session;

use std::path::PathBuf;
use std::time::Instant;

use fltk::prelude::*;
use fltk::{app, dialog};
use lanchat_client::{remembered, Command, Engine, EngineConfig, Event, TransferKey};
use lanchat_net::protocol::{ConvRef, MsgId};
use lanchat_ui_model::model::{self, Model, Phase, NOTICE_SECONDS};
use lanchat_ui_model::settings::{self, Settings};
use lanchat_ui_model::transcript::Target as Clickable;
use lanchat_ui_model::{captions, emoji, trace};

use crate::desktop::Desktop;
use crate::login::LoginWindow;
use crate::main_window::MainWindow;
use crate::message::Message;
use crate::{bridge, theme, HostHook};

/// How long discovery runs before the login window offers the other ways.
const DISCOVERY_WAIT_S: f64 = 4.0;

/// Everything on the main thread.
pub struct Controller {
    config: EngineConfig,
    host: Option<HostHook>,
    engine: Option<Engine>,
    generation: u64,
    model: Model,
    settings: Settings,
    sender: app::Sender<Message>,
    login: LoginWindow,
    main: MainWindow,
    desktop: Desktop,
    downloads: PathBuf,
    /// Started hidden (with the session): no window until the person asks for one.
    hidden: bool,
    /// The person asked to join a room: the next room list opens the picker.
    join_asked: bool,
    quitting: bool,
    signing_out: bool,
    /// When the connection went down (the banner counts down from it).
    down_since: Option<Instant>,
    /// Notices up to this id have their expiry timer.
    notices_timed: u64,
    unread_shown: u64,
    /// The program is to end.
    finished: bool,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("generation", &self.generation)
            .field("phase", &self.model.phase)
            .finish_non_exhaustive()
    }
}

fn settings_path(config: &EngineConfig) -> PathBuf {
    config.data_dir.join(settings::FILE)
}

impl Controller {
    /// Builds the windows (hidden), starts the engine, and shows the login window (or, when
    /// started hidden, only the tray).
    pub fn new(
        mut config: EngineConfig,
        host: Option<HostHook>,
        downloads: PathBuf,
        hidden: bool,
        sender: app::Sender<Message>,
    ) -> Self {
        let settings = std::fs::read_to_string(settings_path(&config))
            .map(|t| Settings::parse(&t))
            .unwrap_or_default();
        theme::apply(settings.dark);
        config.remember_session = settings.keep_signed_in;
        let mut login = LoginWindow::new(sender, settings.dark);
        login.username.set_value(&settings.username);
        login.keep.set_checked(settings.keep_signed_in);
        let main = MainWindow::new(sender, &settings);
        let mut c = Controller {
            config,
            host,
            engine: None,
            generation: 0,
            model: Model::default(),
            settings,
            sender,
            login,
            main,
            desktop: Desktop::new(sender),
            downloads,
            hidden,
            join_asked: false,
            quitting: false,
            signing_out: false,
            down_since: None,
            notices_timed: 0,
            unread_shown: 0,
            finished: false,
        };
        c.start_engine();
        if c.settings.keep_signed_in {
            if let Ok(Some(saved)) = remembered::load(&c.config.data_dir) {
                c.login.note = Some(format!("Signing in as {}…", saved.username));
            }
        }
        if hidden {
            c.desktop.start_tray(0);
            trace::line("window hidden");
        } else {
            c.login.window.show();
            trace::line("window login");
        }
        c
    }

    /// (Re)starts the engine with the current configuration.
    fn start_engine(&mut self) {
        // Dropping the old engine stops it; its late events carry the old number.
        self.engine = None;
        self.generation += 1;
        self.model = Model {
            filter: std::mem::take(&mut self.model.filter),
            ..Model::default()
        };
        let started = Engine::start(self.config.clone()).or_else(|e| {
            // No multicast here, but an address was given: that is enough.
            if self.config.coordinator.is_some() && self.config.discovery.is_some() {
                tracing::warn!("discovery unavailable ({e}); using the given address only");
                self.config.discovery = None;
                Engine::start(self.config.clone())
            } else {
                Err(e)
            }
        });
        match started {
            Ok(engine) => {
                bridge::forward(self.generation, engine.events().clone(), self.sender);
                self.engine = Some(engine);
                let (sender, generation) = (self.sender, self.generation);
                app::add_timeout3(DISCOVERY_WAIT_S, move |_| {
                    sender.send(Message::DiscoveryTimeout(generation))
                });
            }
            Err(e) => {
                self.model.phase = Phase::NotFound;
                self.model.login_error = Some(format!("Cannot start networking: {e}"));
            }
        }
    }

    fn send(&self, command: Command) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    fn send_all(&self, commands: Vec<Command>) {
        for c in commands {
            self.send(c);
        }
    }

    fn save_settings(&mut self) {
        let (left, right) = self.main.pane_widths();
        if self.main.window.shown() && left > 0 && right > 0 {
            self.settings.left_width = left;
            self.settings.right_width = right;
        }
        let path = settings_path(&self.config);
        let tmp = path.with_extension("tmp");
        let written = std::fs::create_dir_all(&self.config.data_dir)
            .and_then(|()| std::fs::write(&tmp, self.settings.to_text()))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            tracing::warn!("cannot keep the settings in {}: {e}", path.display());
        }
    }

    /// Handles one message.
    pub fn handle(&mut self, message: Message) {
        match message {
            Message::Engine(generation, event) if generation == self.generation => {
                self.engine_event(*event)
            }
            Message::Engine(..) => {}
            Message::DiscoveryTimeout(generation) if generation == self.generation => {
                self.model.discovery_timed_out();
                if self.model.phase == Phase::NotFound {
                    trace::line("not-found");
                }
            }
            Message::DiscoveryTimeout(_) => {}
            Message::Login => self.log_in(false),
            Message::Register => self.log_in(true),
            Message::HostHere => self.host_here(),
            Message::Retry => {
                self.login.note = None;
                self.start_engine();
            }
            Message::ConnectTo => self.connect_to(),
            Message::TrustFirstContact => {
                // Each first contact takes two lines of the list.
                let index = self.login.selected_unknown() / 2;
                if let Some(c) = self.model.trust(index) {
                    trace::line("trusted first-contact");
                    self.send(c);
                }
            }
            Message::TrustFingerprint => {
                if let Some(c) = self.model.trust_changed_key() {
                    trace::line("trusted changed-key");
                    self.send(c);
                }
            }
            Message::KeepRefusing => {
                self.model.keep_refusing();
                trace::line("refused changed-key");
            }
            Message::Picked(list, line, how) => self.picked(list, line, how),
            Message::Send => self.send_typed(),
            Message::SendFile => self.send_file(),
            Message::ShareFile => self.share_file(),
            Message::Attach => self.attach(),
            Message::Dropped(paths) => self.dropped(paths),
            Message::Clicked(Clickable::Link(url)) => files::open_link(&url),
            Message::Clicked(Clickable::File { id, name }) => {
                trace::line(&format!("download {id} {name}"));
                self.send(Command::Download {
                    file: id,
                    dir: self.downloads.clone(),
                });
            }
            Message::Clicked(Clickable::Older) | Message::LoadOlder => {
                if let Some(c) = self.model.older() {
                    self.send(c);
                }
            }
            Message::Clicked(Clickable::Jump { conv, seq }) => {
                let commands = self.model.jump_to(conv, seq);
                self.send_all(commands);
            }
            Message::Clicked(Clickable::Time(_)) => {}
            Message::Menu(action) => self.action(action),
            Message::Cancel(TransferKey::Offer(id)) => self.send(Command::CancelOffer(id)),
            Message::Cancel(_) => {}
            Message::OpenFile(key) => self.open_received(key, false),
            Message::ShowInFolder(key) => self.open_received(key, true),
            Message::Dismiss(key) => {
                self.model.dismiss(key);
                trace::line(&format!("dismissed {key}"));
            }
            Message::Emoji(e) => {
                let _ = self.main.input.insert(e);
                let _ = self.main.input.take_focus();
            }
            Message::Filter => self.model.filter = self.main.filter.value(),
            Message::SearchTyped => {
                let query = self.main.filter.value().trim().to_string();
                if !query.is_empty() {
                    trace::line(&format!("searching {query}"));
                    self.send(Command::Search(query));
                    // The words were a search, not a filter: the lists come back.
                    self.main.filter.set_value("");
                    self.model.filter.clear();
                }
            }
            Message::Clicked(Clickable::Offer { id, answer }) => self.answer_offer(id, answer),
            Message::Open(conv) => {
                trace::line(&format!("open {conv}"));
                self.show_main();
                self.switch(conv);
            }
            Message::ShowWindow => {
                if self.model.phase == Phase::LoggedIn {
                    self.show_main();
                } else {
                    self.login.window.show();
                }
            }
            Message::ExpireNotice(id) => self.model.expire_notice(id),
            Message::Tick => self.tick(),
            Message::Typed => self.typed(),
            Message::TypingOver => {
                self.model.expire_typing(Instant::now());
            }
            Message::Clicked(Clickable::Message { seq }) => self.message_menu(seq),
            Message::CloseWindow => self.close_window(),
            Message::Quit => self.quit(),
            Message::Exit => self.exit(),
        }
        self.after_message();
    }

    /// Timers for new notices, the tray's count, the banner's countdown.
    fn after_message(&mut self) {
        for n in &self.model.notices {
            if n.id > self.notices_timed {
                let (sender, id) = (self.sender, n.id);
                app::add_timeout3(NOTICE_SECONDS, move |_| {
                    sender.send(Message::ExpireNotice(id))
                });
                trace::line(&format!("notice {}", n.text));
            }
        }
        self.notices_timed = self.model.next_notice - 1;
        let unread = self.model.total_unread();
        if unread != self.unread_shown {
            self.unread_shown = unread;
            self.desktop.set_unread(unread);
        }
        match (&self.model.connection, self.down_since) {
            (Some(_), None) => {
                self.down_since = Some(Instant::now());
                self.tick();
            }
            (None, Some(_)) => self.down_since = None,
            _ => {}
        }
    }

    /// A second of the banner's countdown.
    fn tick(&mut self) {
        if self.model.connection.is_some() {
            let sender = self.sender;
            app::add_timeout3(1.0, move |_| sender.send(Message::Tick));
        }
    }

    fn engine_event(&mut self, event: Event) {
        trace::line(&trace::describe(&event));
        let was_logged_in = self.model.phase == Phase::LoggedIn;
        let notify = self.should_notify(&event);
        model::apply(&mut self.model, event.clone());
        match &event {
            Event::LoggedIn { user, .. } => {
                if !was_logged_in {
                    self.login.window.hide();
                    self.login.note = None;
                    self.desktop.start_tray(self.model.total_unread());
                    if self.hidden {
                        trace::line("logged-in hidden");
                    } else {
                        self.show_main();
                    }
                    self.settings.username = user.username.clone();
                    self.save_settings();
                }
                self.send(Command::Users);
                self.send(Command::ListRooms);
                let current = self.model.current.clone();
                let commands = self.model.switch(current);
                self.send_all(commands);
            }
            Event::Message { message, .. } | Event::Changed { message, .. }
                if message.conv == self.model.current =>
            {
                self.send(Command::MarkRead {
                    conv: message.conv.clone(),
                    seq: message.seq,
                });
            }
            Event::Typing { .. } => self.typing_heard(),
            Event::Joined(s) => {
                let commands = self.model.switch(s.conv.clone());
                self.send_all(commands);
            }
            Event::Rooms(_) if self.join_asked => {
                self.join_asked = false;
                self.join_picker();
            }
            // The kept session was refused: the login window asks for the password.
            Event::Error { command, .. }
                if command.as_deref() == Some("resume") && self.model.phase != Phase::LoggedIn =>
            {
                self.login.note = None;
                self.login.window.show();
            }
            Event::LoggedOut | Event::Stopped if self.quitting => self.exit(),
            Event::LoggedOut | Event::Stopped if self.signing_out => self.signed_out(),
            _ => {}
        }
        if let Event::FileOffered(offer) = &event {
            let name = self.model.display_name(&offer.from, None);
            let background = !self.main.window.shown() || app::focus().is_none();
            if background && self.settings.notifications {
                let body = format!(
                    "offers you {}",
                    lanchat_ui_model::format::offer_summary(offer)
                );
                self.desktop
                    .notify(&name, &body, ConvRef::Dm(offer.from.clone()));
            }
        }
        if let (true, Event::Message { message, .. }) = (notify, &event) {
            if self.settings.notifications {
                let (summary, body) = captions::notification(&self.model, message);
                self.desktop.notify(&summary, &body, message.conv.clone());
            } else {
                dialog::beep(dialog::BeepType::Message);
            }
        }
        self.files_event(&event);
    }

    /// A new direct message or a mention, not muted, while the window is in the background
    /// (or hidden in the tray).
    fn should_notify(&self, event: &Event) -> bool {
        let Event::Message {
            message,
            backlog: false,
        } = event
        else {
            return false;
        };
        let background = !self.main.window.shown() || app::focus().is_none();
        self.model.wants_attention(message) && background
    }

    fn show_main(&mut self) {
        self.hidden = false;
        self.main.window.show();
        self.main.window.set_visible_focus();
        trace::line("window main");
    }

    fn switch(&mut self, conv: ConvRef) {
        trace::line(&format!("current {conv}"));
        let commands = self.model.switch(conv);
        self.send_all(commands);
        let _ = self.main.input.take_focus();
    }

    fn send_typed(&mut self) {
        let typed = self.main.input.value();
        let text = emoji::shortcodes(typed.trim_end());
        if text.trim().is_empty() {
            return;
        }
        let id = MsgId::random();
        let conv = self.model.current.clone();
        trace::line(&format!("sending {conv} {}", text.replace('\n', "\\n")));
        self.model.sending(&conv, id, &text);
        self.send(Command::Send { conv, text, id });
        self.main.input.set_value("");
    }

    /// Renders the visible windows from the model.
    pub fn render(&mut self) {
        if self.model.phase == Phase::LoggedIn || self.main.window.shown() {
            let down_ms = self
                .down_since
                .map_or(0, |t| t.elapsed().as_millis() as u64);
            self.main.render(&mut self.model, self.sender, down_ms);
        }
        if self.login.window.shown() {
            self.login.render(&self.model);
        }
    }
}

fn ask(prompt: &str, default: &str) -> Option<String> {
    dialog::input_default(prompt, default)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
