//! The controller: owns the engine, the model and the windows, and handles every
//! [`Message`] on the main thread. Engine events update the model (then the windows render
//! it); widget messages become engine commands.
use std::path::PathBuf;

use fltk::prelude::*;
use fltk::{app, dialog};
use lanchat_client::{Command, Engine, EngineConfig, Event, Target, TransferKey};
use lanchat_net::fingerprint::Pin;
use lanchat_net::protocol::{ConvRef, MsgId};
use lanchat_ui_model::model::{self, Model, Phase};
use lanchat_ui_model::sidebar::Row;
use lanchat_ui_model::transcript::Target as Clickable;
use lanchat_ui_model::{dialogs, trace};

use crate::login::LoginWindow;
use crate::main_window::MainWindow;
use crate::message::{Action, Click, List, Message};
use crate::{bridge, HostHook};

/// How long discovery runs before the login window offers the other ways.
const DISCOVERY_WAIT_S: f64 = 4.0;

/// Everything on the main thread.
pub struct Controller {
    config: EngineConfig,
    host: Option<HostHook>,
    engine: Option<Engine>,
    generation: u64,
    model: Model,
    sender: app::Sender<Message>,
    login: LoginWindow,
    main: MainWindow,
    downloads: PathBuf,
    /// The person asked to join a room: the next room list opens the picker.
    join_asked: bool,
    quitting: bool,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("generation", &self.generation)
            .field("phase", &self.model.phase)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// Builds the windows (hidden) and starts the engine.
    pub fn new(
        config: EngineConfig,
        host: Option<HostHook>,
        downloads: PathBuf,
        sender: app::Sender<Message>,
    ) -> Self {
        let mut c = Controller {
            config,
            host,
            engine: None,
            generation: 0,
            model: Model::default(),
            sender,
            login: LoginWindow::new(sender),
            main: MainWindow::new(sender),
            downloads,
            join_asked: false,
            quitting: false,
        };
        c.start_engine();
        c.login.window.show();
        trace::line("window login");
        c
    }

    /// (Re)starts the engine with the current configuration.
    fn start_engine(&mut self) {
        // Dropping the old engine stops it; its late events carry the old number.
        self.engine = None;
        self.generation += 1;
        self.model.phase = Phase::Discovering;
        self.model.coordinator = None;
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
            Message::TrustFingerprint => {
                if let Phase::FingerprintChanged { name, offered, .. } = self.model.phase.clone() {
                    self.send(Command::AcceptFingerprint {
                        name,
                        fingerprint: offered,
                    });
                    self.model.phase = Phase::Discovering;
                }
            }
            Message::Picked(list, line, how) => self.picked(list, line, how),
            Message::Send => self.send_typed(),
            Message::SendFile => self.send_file(),
            Message::ShareFile => {
                if let Some(path) = choose_file("Share a file in this conversation") {
                    self.send(Command::ShareFile {
                        conv: self.model.current.clone(),
                        path,
                    });
                }
            }
            Message::Clicked(Clickable::Link(url)) => open_link(&url),
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
            Message::Menu(action) => self.action(action),
            Message::Cancel(TransferKey::Offer(id)) => self.send(Command::CancelOffer(id)),
            Message::Cancel(_) => {}
            Message::Quit => self.quit(),
        }
    }

    fn engine_event(&mut self, event: Event) {
        trace::line(&trace::describe(&event));
        let was_logged_in = self.model.phase == Phase::LoggedIn;
        let notify = self.should_notify(&event);
        model::apply(&mut self.model, event.clone());
        match &event {
            Event::LoggedIn { .. } => {
                if !was_logged_in {
                    self.login.window.hide();
                    self.main.window.show();
                    trace::line("window main");
                }
                self.send(Command::Users);
                self.send(Command::ListRooms);
                let current = self.model.current.clone();
                let commands = self.model.switch(current);
                self.send_all(commands);
            }
            Event::Message { message, .. } if message.conv == self.model.current => {
                self.send(Command::MarkRead {
                    conv: message.conv.clone(),
                    seq: message.seq,
                });
            }
            Event::Joined(s) => {
                let commands = self.model.switch(s.conv.clone());
                self.send_all(commands);
            }
            Event::Rooms(_) if self.join_asked => {
                self.join_asked = false;
                self.join_picker();
            }
            Event::SearchResults { .. } => self.show_search(),
            Event::LoggedOut | Event::Stopped if self.quitting => app::quit(),
            _ => {}
        }
        if notify {
            dialog::beep(dialog::BeepType::Message);
        }
        self.ask_offers();
    }

    /// A new direct message or a mention, not muted, while the window is in the background.
    fn should_notify(&self, event: &Event) -> bool {
        let Event::Message {
            message,
            backlog: false,
        } = event
        else {
            return false;
        };
        self.model.wants_attention(message) && app::focus().is_none()
    }

    fn log_in(&mut self, register: bool) {
        let username = self.login.username.value().trim().to_string();
        let password = self.login.password.value();
        if username.is_empty() || password.is_empty() {
            self.model.login_error = Some("Type a username and a password first.".into());
            return;
        }
        self.model.login_error = None;
        trace::line(&format!(
            "{} {username}",
            if register {
                "registering"
            } else {
                "logging-in"
            }
        ));
        self.send(if register {
            Command::Register { username, password }
        } else {
            Command::Login { username, password }
        });
    }

    fn host_here(&mut self) {
        let Some(host) = self.host.as_mut() else {
            self.model.login_error = Some("This build cannot host a coordinator.".into());
            return;
        };
        match host() {
            Ok(description) => {
                trace::line(&format!("hosting {description}"));
                self.login.note = Some(description);
                self.model.login_error = None;
                // The engine is still listening and finds it by multicast as usual.
                self.model.rediscover();
            }
            Err(why) => {
                self.model.login_error = Some(format!("Cannot host a coordinator here: {why}"))
            }
        }
    }

    fn connect_to(&mut self) {
        let addr = self.login.address.value();
        let fingerprint = self.login.fingerprint.value();
        let addr = match addr.trim().parse() {
            Ok(a) => a,
            Err(_) => {
                self.model.login_error = Some(format!(
                    "'{addr}' is not an address like 192.168.1.10:7117."
                ));
                return;
            }
        };
        let pin: Pin = match fingerprint.trim().parse() {
            Ok(p) => p,
            Err(_) => {
                self.model.login_error = Some(
                    "That fingerprint is not valid: type it as the coordinator printed it.".into(),
                );
                return;
            }
        };
        self.model.login_error = None;
        self.config.coordinator = Some(Target { addr, pin });
        self.start_engine();
    }

    fn switch(&mut self, conv: ConvRef) {
        let commands = self.model.switch(conv);
        self.send_all(commands);
        let _ = self.main.input.take_focus();
    }

    fn picked(&mut self, list: List, line: i32, how: Click) {
        let Some(row) = self.main.sidebar.row(list, line) else {
            return;
        };
        match (list, row, how) {
            (_, Row::Conv(conv), _) => self.switch(conv),
            (List::Members, Row::User(user), Click::Right) => self.member_menu(&user),
            (List::Members, Row::User(user), Click::Single) => {
                let _ = user;
            }
            (_, Row::User(user), _) => {
                if self.model.username() != Some(user.as_str()) {
                    self.switch(ConvRef::Dm(user));
                }
            }
        }
    }

    fn member_menu(&mut self, user: &str) {
        let mut items = vec!["Message"];
        if self.model.can_moderate() {
            items.extend(["Kick from room", "Promote to admin"]);
        }
        let menu = fltk::menu::MenuItem::new(&items);
        let Some(room) = self.model.current_room().map(str::to_string) else {
            return;
        };
        let chosen = menu.popup(app::event_x(), app::event_y());
        let label = chosen.and_then(|m| m.label()).unwrap_or_default();
        let user = user.to_string();
        match label.as_str() {
            "Message" => self.switch(ConvRef::Dm(user)),
            "Kick from room" => self.send(Command::Kick { room, user }),
            "Promote to admin" => self.send(Command::Promote { room, user }),
            _ => {}
        }
    }

    fn send_typed(&mut self) {
        let text = self.main.input.value();
        let text = text.trim_end();
        if text.trim().is_empty() {
            return;
        }
        let id = MsgId::random();
        let conv = self.model.current.clone();
        trace::line(&format!("sending {conv} {text}"));
        self.model.sending(&conv, id, text);
        self.send(Command::Send {
            conv,
            text: text.to_string(),
            id,
        });
        self.main.input.set_value("");
    }

    fn send_file(&mut self) {
        let ConvRef::Dm(to) = self.model.current.clone() else {
            self.model
                .notices
                .push("Files go to a person: open a direct conversation first.".into());
            return;
        };
        if let Some(path) = choose_file(&format!("Send a file to {to}")) {
            self.send(Command::SendFile {
                to,
                path,
                name: None,
            });
        }
    }

    /// Asks about incoming offers, one at a time.
    fn ask_offers(&mut self) {
        while let Some(offer) = self.model.offers.first().cloned() {
            self.model.answered(offer.id);
            let question = dialogs::offer_question(&offer, &self.downloads);
            let answer = dialog::choice2_default(&question, "Deny", "Accept", "Choose folder…");
            let dir = match answer {
                Some(1) => Some(self.downloads.clone()),
                Some(2) => dialog::dir_chooser("Save in", &self.downloads.to_string_lossy(), false)
                    .map(PathBuf::from),
                _ => None,
            };
            self.send(match dir {
                Some(dir) => Command::AcceptOffer { id: offer.id, dir },
                None => Command::DenyOffer(offer.id),
            });
        }
    }

    fn action(&mut self, action: Action) {
        let room = self.model.current_room().map(str::to_string);
        let in_room = |this: &mut Self| -> Option<String> {
            if room.is_none() {
                this.model
                    .notices
                    .push("That works in a room; pick one on the left.".into());
            }
            room.clone()
        };
        match action {
            Action::CreateRoom => {
                if let Some(name) = ask("Name of the new room:", "") {
                    self.send(Command::CreateRoom(name.trim_start_matches('#').into()));
                }
            }
            Action::JoinRoom => {
                self.join_asked = true;
                self.send(Command::ListRooms);
            }
            Action::LeaveRoom => {
                if let Some(room) = in_room(self) {
                    if room == "general" {
                        self.model
                            .notices
                            .push("Everyone stays in #general; it cannot be left.".into());
                    } else if dialog::choice2_default(
                        &format!("Leave #{room}?"),
                        "Stay",
                        "Leave",
                        "",
                    ) == Some(1)
                    {
                        self.send(Command::LeaveRoom(room));
                    }
                }
            }
            Action::SetTopic => {
                if let Some(room) = in_room(self) {
                    let now = self
                        .model
                        .current_conv()
                        .map(|c| c.topic.clone())
                        .unwrap_or_default();
                    if let Some(topic) = ask(&format!("Topic of #{room}:"), &now) {
                        self.send(Command::SetTopic { room, topic });
                    }
                }
            }
            Action::Kick | Action::Promote => {
                let Some(room) = in_room(self) else { return };
                let items = dialogs::members_to_moderate(&self.model, &room);
                let what = if action == Action::Kick {
                    "Remove from"
                } else {
                    "Make admin in"
                };
                if let Some(user) = crate::picker::pick(what, &format!("{what} #{room}:"), &items) {
                    self.send(if action == Action::Kick {
                        Command::Kick { room, user }
                    } else {
                        Command::Promote { room, user }
                    });
                }
            }
            Action::DirectMessage => {
                let items = dialogs::people_to_message(&self.model);
                if let Some(user) = crate::picker::pick("Direct message", "Talk to:", &items) {
                    self.switch(ConvRef::Dm(user.trim_start_matches('@').into()));
                }
            }
            Action::ToggleMute => {
                let conv = self.model.current.clone();
                let muted = self.model.current_conv().is_some_and(|c| c.muted);
                self.send(Command::SetMuted {
                    conv,
                    muted: !muted,
                });
            }
            Action::Nick => {
                let now = self.model.me.as_ref().map(|u| u.display.clone());
                if let Some(name) = ask("Display name:", &now.unwrap_or_default()) {
                    self.send(Command::SetDisplay(name));
                }
            }
            Action::Password => {
                let Some(old) = dialog::password_default("Current password:", "") else {
                    return;
                };
                let Some(new) = dialog::password_default("New password (10+ characters):", "")
                else {
                    return;
                };
                if dialog::password_default("New password again:", "").as_deref() != Some(&new) {
                    self.model
                        .notices
                        .push("The two new passwords differ; nothing changed.".into());
                    return;
                }
                self.send(Command::ChangePassword { old, new });
            }
            Action::Away => self.send(Command::SetAway(true)),
            Action::Back => self.send(Command::SetAway(false)),
            Action::Search => {
                if let Some(q) = ask("Search all conversations for:", "") {
                    self.send(Command::Search(q));
                }
            }
        }
    }

    fn join_picker(&mut self) {
        let items = dialogs::rooms_to_join(&self.model);
        if let Some(room) = crate::picker::pick("Join a room", "Rooms you are not in:", &items) {
            self.send(Command::JoinRoom(room.trim_start_matches('#').into()));
        }
    }

    fn show_search(&mut self) {
        let Some((query, found)) = self.model.search.clone() else {
            return;
        };
        let text = dialogs::search_results(&query, &found);
        // fltk reads `@` in a message as a symbol code.
        dialog::message_default(&text.replace('@', "@@"));
    }

    fn quit(&mut self) {
        if self.quitting || self.model.phase != Phase::LoggedIn || self.engine.is_none() {
            app::quit();
            return;
        }
        // Log out after what was typed is delivered; quit when the engine says so, or soon.
        self.quitting = true;
        self.send(Command::Logout);
        self.main.window.hide();
        app::add_timeout3(3.0, |_| app::quit());
    }

    /// Renders the visible window from the model.
    pub fn render(&mut self) {
        if self.model.phase == Phase::LoggedIn || self.main.window.shown() {
            self.main.render(&self.model, self.sender);
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

fn choose_file(title: &str) -> Option<PathBuf> {
    let start = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
    dialog::file_chooser(title, "*", start, false).map(PathBuf::from)
}

/// Opens a link in the default browser without waiting for it.
fn open_link(url: &str) {
    trace::line(&format!("open-link {url}"));
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return;
    }
    // FLTK's fl_open_uri: ShellExecute on Windows, `open` on macOS, xdg-open (or another
    // opener it finds) elsewhere; it does not wait for the browser.
    if let Err(e) = fltk::utils::open_uri(url) {
        tracing::warn!("cannot open {url}: {e:?}");
    }
}
