//! `lanchat cli`: a terminal client that is also the scripting and bot interface.
//!
//! Lines on stdin are commands (see [`input`]); events go to stdout as readable lines or, with
//! `--json`, one JSON object per line (see [`output`]). End of input logs out and exits 0.
//!
//! Order is what was typed: lines typed after a command that switches conversation (`/join`,
//! `/create`) wait until the switch is done and then go to the new conversation; messages wait
//! in the engine's queue for their turn (the coordinator paces each user), and the JSON
//! `sending` event says how many are queued.
//!
//! # Layout
//! - [`input`]: parsing typed lines.
//! - [`secrets`]: reading stdin, and passwords without echo.
//! - [`output`]: rendering events as text and JSON.
//! - [`terminal`]: the one writer of stdout, which escapes every control character.
//! - this file: the loop joining stdin, the engine and stdout.
pub mod input;
pub mod output;
pub mod secrets;
pub mod terminal;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Write};

use crossbeam_channel::{select, Receiver};
use lanchat_client::{Command, Engine, EngineConfig, Event};
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{ConvRef, ErrorCode, MembershipChange, MsgId};
use serde_json::json;

use crate::args::{default_data_dir, CliArgs};
use input::{parse, Input, HELP};
use secrets::Typed;
use terminal::Terminal;

/// Why the terminal client could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No username and no terminal to ask on.
    #[error("no username: pass --user NAME or set LANCHAT_USER")]
    NoUser,
    /// No password and no terminal to ask on.
    #[error("no password: set LANCHAT_PASSWORD or run in a terminal to be asked ({0})")]
    NoPassword(std::io::Error),
    /// The engine did not start.
    #[error(transparent)]
    Engine(#[from] lanchat_client::EngineError),
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// How the client ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Logged out normally.
    Done,
    /// Login or registration was refused.
    LoginRefused,
}

/// The terminal itself, even when stdin is a pipe: Unix's controlling terminal, Windows'
/// console input.
#[cfg(unix)]
const TERMINAL: &str = "/dev/tty";
#[cfg(windows)]
const TERMINAL: &str = "CONIN$";

fn ask_username() -> Result<String, CliError> {
    let tty = std::fs::File::open(TERMINAL).map_err(|_| CliError::NoUser)?;
    eprint!("username: ");
    let mut line = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut line)
        .map_err(|_| CliError::NoUser)?;
    let name = line.trim().to_string();
    if name.is_empty() {
        return Err(CliError::NoUser);
    }
    Ok(name)
}

/// Runs the client until end of input, `/quit`, or a refused login.
pub fn run(args: CliArgs) -> Result<Outcome, CliError> {
    let username = match args.user.clone() {
        Some(u) => u,
        None => ask_username()?,
    };
    let password = match std::env::var("LANCHAT_PASSWORD") {
        Ok(p) => p,
        Err(_) => secrets::prompt_secret(&format!("password for {username}: "))
            .map_err(CliError::NoPassword)?,
    };
    let config = EngineConfig {
        data_dir: args
            .data
            .clone()
            .unwrap_or_else(|| default_data_dir("client")),
        discovery: Some(args.net.discovery()),
        coordinator: args.trust.target(),
        accept_new_fingerprint: args.accept_new_fingerprint,
        trust_first_contact: args.trust_first_contact,
        trusted: args.trust.trusted(),
        hints: args.trust.hints(),
        client_name: format!("lanchat-cli/{}", env!("CARGO_PKG_VERSION")),
        peer_listen: (!args.no_direct).then_some(args.peer_listen),
        remember_session: false,
    };
    let engine = Engine::start(config)?;
    engine.send(if args.register {
        Command::Register { username, password }
    } else {
        Command::Login { username, password }
    });
    let lines = secrets::typed_lines();
    let mut client = Client {
        engine,
        json: args.json,
        me: None,
        waiting: 0,
        queue_told: false,
        switching: None,
        quit_after_switch: false,
        current: ConvRef::Room("general".into()),
        latest: HashMap::new(),
        muted: HashMap::new(),
        term: Terminal::new(std::io::stdout().lock()),
        outcome: Outcome::Done,
        quitting: false,
        downloads: args.downloads.clone().unwrap_or_else(default_downloads),
        tty: std::io::IsTerminal::is_terminal(&std::io::stdout()),
        untrusted: Vec::new(),
    };
    client.run(lines)?;
    Ok(client.outcome)
}

fn default_downloads() -> std::path::PathBuf {
    dirs::download_dir().unwrap_or_else(|| default_data_dir("downloads"))
}

/// Coordinators waiting to be trusted that `/trust` can pick from, at most.
const MAX_UNTRUSTED: usize = 64;
/// Lines kept while a switch of conversation is under way, at most.
const MAX_HELD: usize = 10_000;

/// A `/join` or `/create` under way: what was typed since waits for it.
struct Switching {
    /// The room being joined or created.
    room: String,
    /// Lines typed since, in order.
    held: VecDeque<String>,
}

/// The commands whose answers settle one post each (a message, reply, edit, deletion or
/// reaction): their acknowledgements and errors end its wait in the queue.
const POSTS: [&str; 5] = ["send", "reply", "edit", "delete", "react"];

struct Client<W: Write> {
    /// This user's username, once logged in.
    me: Option<String>,
    /// Posts sent to the engine and not yet answered (stored or refused).
    waiting: usize,
    /// A line said that posts are queued (the text form says once more when all are in).
    queue_told: bool,
    /// A switch of conversation under way.
    switching: Option<Switching>,
    /// End of input came during a switch: log out once it is done.
    quit_after_switch: bool,
    /// Coordinators reported as not trusted (name, fingerprint), for `/trust`.
    untrusted: Vec<(String, Fingerprint)>,
    engine: Engine,
    json: bool,
    current: ConvRef,
    /// Newest seq seen per conversation (to mark read on switching).
    latest: HashMap<ConvRef, u64>,
    muted: HashMap<ConvRef, bool>,
    /// stdout: everything printed goes through it, escaped.
    term: Terminal<W>,
    outcome: Outcome,
    quitting: bool,
    downloads: std::path::PathBuf,
    /// stdout is a terminal: progress is a bar redrawn in place.
    tty: bool,
}

impl<W: Write> Client<W> {
    fn run(&mut self, lines: Receiver<Typed>) -> Result<(), CliError> {
        let events = self.engine.events().clone();
        let mut lines = Some(lines);
        loop {
            let never = crossbeam_channel::never();
            select! {
                recv(lines.as_ref().unwrap_or(&never)) -> typed => match typed {
                    Ok(Typed::Line(line)) => self.typed(line)?,
                    Ok(Typed::Passwords { old, new }) => {
                        self.engine.send(Command::ChangePassword { old, new })
                    }
                    Ok(Typed::NoPasswords(why)) => self.complain(why)?,
                    Err(_) => {
                        lines = None;
                        self.quit();
                    }
                },
                recv(events) -> event => match event {
                    Ok(Event::Stopped) | Err(_) => return Ok(()),
                    Ok(event) => self.event(event)?,
                },
            }
        }
    }

    fn quit(&mut self) {
        if self.switching.is_some() {
            // What waits for the switch goes out first.
            self.quit_after_switch = true;
            return;
        }
        if !self.quitting {
            self.quitting = true;
            self.engine.send(Command::Logout);
        }
    }

    /// A line typed: it waits while a switch of conversation is under way, so that it goes
    /// where the person expects.
    fn typed(&mut self, line: String) -> Result<(), CliError> {
        let Some(switching) = &mut self.switching else {
            return self.input(&line);
        };
        if switching.held.len() < MAX_HELD {
            switching.held.push_back(line);
            return Ok(());
        }
        let why = format!(
            "not sent: {MAX_HELD} lines already wait for the switch to #{}",
            switching.room
        );
        self.complain(why)
    }

    /// The switch under way is over (`joined`: it worked): what waited for it goes on, in
    /// order; text for a room that could not be joined is not sent anywhere else.
    fn switched(&mut self, joined: bool) -> Result<(), CliError> {
        let Some(mut switching) = self.switching.take() else {
            return Ok(());
        };
        while let Some(line) = switching.held.pop_front() {
            if let Some(next) = &mut self.switching {
                // A line held here started another switch: the rest wait for that one.
                next.held
                    .extend(std::iter::once(line).chain(switching.held.drain(..)));
                return Ok(());
            }
            let text = matches!(parse(&line), Input::Say(_));
            if !joined && text {
                let why = format!("not sent: #{} could not be joined", switching.room);
                if self.json {
                    self.print_json(json!({"type": "unsent", "text": line, "reason": why}))?;
                } else {
                    self.say(&format!("! {why}: {line}"))?;
                }
                continue;
            }
            self.input(&line)?;
        }
        if self.switching.is_none() && std::mem::take(&mut self.quit_after_switch) {
            self.quit();
        }
        Ok(())
    }

    fn print_json(&mut self, value: serde_json::Value) -> Result<(), CliError> {
        Ok(self.term.json(&value)?)
    }

    fn say(&mut self, line: &str) -> Result<(), CliError> {
        if self.json {
            return Ok(());
        }
        Ok(self.term.line(line)?)
    }

    fn complain(&mut self, why: String) -> Result<(), CliError> {
        if self.json {
            self.print_json(
                json!({"type": "error", "code": null, "message": why, "command": "input"}),
            )
        } else {
            self.say(&format!("! {why}"))
        }
    }

    fn switch(&mut self, conv: ConvRef) -> Result<(), CliError> {
        if let Some(seq) = self.latest.get(&conv).copied() {
            self.engine.send(Command::MarkRead {
                conv: conv.clone(),
                seq,
            });
        }
        self.current = conv.clone();
        if self.json {
            self.print_json(json!({"type": "switched", "conv": conv.to_string()}))
        } else {
            self.say(&format!("* talking in {conv}"))
        }
    }

    fn current_room(&self) -> Option<String> {
        match &self.current {
            ConvRef::Room(r) => Some(r.clone()),
            ConvRef::Dm(_) => None,
        }
    }

    fn send_text(&mut self, conv: ConvRef, text: String) -> Result<(), CliError> {
        let id = MsgId::random();
        self.post(conv.clone(), id, Command::Send { conv, text, id })
    }

    /// Hands a post (message, reply, edit, deletion, reaction) to the engine, which sends it
    /// in its turn; says how many wait.
    fn post(&mut self, conv: ConvRef, id: MsgId, command: Command) -> Result<(), CliError> {
        self.waiting += 1;
        if self.json {
            self.print_json(json!({
                "type": "sending", "conv": conv.to_string(), "id": id.to_string(),
                "queued": self.waiting,
            }))?;
        } else if self.waiting >= 2 && (!self.queue_told || self.waiting.is_multiple_of(100)) {
            self.queue_told = true;
            let waiting = self.waiting;
            self.say(&format!(
                "* {waiting} lines queued: they go out in order, as fast as the coordinator \
                 takes them"
            ))?;
        }
        self.engine.send(command);
        Ok(())
    }

    /// A post was answered (stored or refused).
    fn posted(&mut self) -> Result<(), CliError> {
        self.waiting = self.waiting.saturating_sub(1);
        if self.waiting == 0 && std::mem::take(&mut self.queue_told) {
            self.say("* every queued line is stored")?;
        }
        Ok(())
    }

    /// The current room, or a complaint that the command needs one.
    fn in_room(&mut self) -> Result<Option<String>, CliError> {
        match self.current_room() {
            Some(room) => Ok(Some(room)),
            None => {
                self.complain("that command works in a room; switch with /join #room".into())?;
                Ok(None)
            }
        }
    }

    fn input(&mut self, line: &str) -> Result<(), CliError> {
        let command = match parse(line) {
            Input::Nothing => return Ok(()),
            Input::Say(text) => return self.send_text(self.current.clone(), text),
            Input::SayTo(conv, text) => return self.send_text(conv, text),
            Input::Help => {
                if self.json {
                    return self.print_json(json!({"type": "help", "text": HELP}));
                }
                for line in HELP.lines() {
                    self.say(line)?;
                }
                return Ok(());
            }
            Input::Invalid(why) => return self.complain(why),
            Input::Quit => {
                self.quit();
                return Ok(());
            }
            Input::Dm(user) => return self.switch(ConvRef::Dm(user)),
            Input::Trust(which) => match self.untrusted(which.as_deref()) {
                Some((name, fingerprint)) => Command::AcceptFingerprint { name, fingerprint },
                None => {
                    return self.complain(
                        "no coordinator with that fingerprint is waiting to be trusted".into(),
                    )
                }
            },
            Input::Join(room) => {
                self.switching = Some(Switching {
                    room: room.to_lowercase(),
                    held: VecDeque::new(),
                });
                Command::JoinRoom(room)
            }
            Input::Create {
                room,
                private,
                full_history,
            } => {
                self.switching = Some(Switching {
                    room: room.to_lowercase(),
                    held: VecDeque::new(),
                });
                if private {
                    Command::CreatePrivateRoom {
                        name: room,
                        full_history,
                    }
                } else {
                    Command::CreateRoom(room)
                }
            }
            Input::Leave(room) => match room.or_else(|| self.current_room()) {
                Some(room) => {
                    if self.current == ConvRef::Room(room.to_lowercase()) {
                        self.switch(ConvRef::Room("general".into()))?;
                    }
                    Command::LeaveRoom(room)
                }
                None => {
                    return self
                        .complain("/leave works in a room; this is a direct conversation".into())
                }
            },
            Input::Rooms => Command::ListRooms,
            Input::Who(None) => Command::Users,
            Input::Who(Some(room)) => Command::Members(room),
            Input::History(limit) => Command::History {
                conv: self.current.clone(),
                before: None,
                limit,
            },
            Input::Search(query) => Command::Search(query),
            Input::Topic(topic) | Input::Kick(topic) | Input::Promote(topic)
                if self.current_room().is_none() =>
            {
                let _ = topic;
                return self
                    .complain("that command works in a room; switch with /join #room".into());
            }
            Input::Topic(topic) => Command::SetTopic {
                room: self.current_room().unwrap_or_default(),
                topic,
            },
            Input::Kick(user) => Command::Kick {
                room: self.current_room().unwrap_or_default(),
                user,
            },
            Input::Promote(user) => Command::Promote {
                room: self.current_room().unwrap_or_default(),
                user,
            },
            Input::Nick(name) => Command::SetDisplay(name),
            // Answered where stdin is read (`secrets`), before this line could get here.
            Input::Passwd => return self.complain("/passwd: no passwords were read".into()),
            Input::Invite(user) | Input::Ban(user) | Input::Unban(user)
                if self.current_room().is_none() =>
            {
                let _ = user;
                return self.in_room().map(|_| ());
            }
            Input::Invite(user) => Command::Invite {
                room: self.current_room().unwrap_or_default(),
                user,
            },
            Input::Ban(user) => Command::Ban {
                room: self.current_room().unwrap_or_default(),
                user,
            },
            Input::Unban(user) => Command::Unban {
                room: self.current_room().unwrap_or_default(),
                user,
            },
            Input::Private(private) => match self.in_room()? {
                Some(room) => Command::SetPrivate { room, private },
                None => return Ok(()),
            },
            Input::Archive(archived) => match self.in_room()? {
                Some(room) => Command::SetArchived { room, archived },
                None => return Ok(()),
            },
            Input::DeleteRoom { room, confirmed } => {
                let Some(room) = room.or_else(|| self.current_room()) else {
                    return self.in_room().map(|_| ());
                };
                if !confirmed {
                    return self.confirm_delete(&room);
                }
                Command::DeleteRoom(room)
            }
            Input::Edit(target, text) => {
                let (conv, id) = (self.current.clone(), MsgId::random());
                let command = Command::Edit {
                    conv: conv.clone(),
                    target,
                    text,
                    id,
                };
                return self.post(conv, id, command);
            }
            Input::Delete(target) => {
                let (conv, id) = (self.current.clone(), MsgId::random());
                let command = Command::Delete {
                    conv: conv.clone(),
                    target,
                    id,
                };
                return self.post(conv, id, command);
            }
            Input::Reply(to, text) => {
                let (conv, id) = (self.current.clone(), MsgId::random());
                let command = Command::Reply {
                    conv: conv.clone(),
                    to,
                    text,
                    id,
                };
                return self.post(conv, id, command);
            }
            Input::React(target, emoji) => {
                let (conv, id) = (self.current.clone(), MsgId::random());
                let command = Command::React {
                    conv: conv.clone(),
                    target,
                    emoji,
                    id,
                };
                return self.post(conv, id, command);
            }
            Input::Setting(setting, on) => Command::SetSetting { setting, on },
            Input::Mute(muted) => Command::SetMuted {
                conv: self.current.clone(),
                muted,
            },
            Input::Away(away) => Command::SetAway(away),
            Input::Unread => Command::Summaries,
            Input::SendFile(to, typed) => Command::SendFiles {
                to,
                paths: input::send_paths(&typed, |p| p.exists()),
            },
            Input::Accept(id, dir) => Command::AcceptOffer {
                id,
                dir: dir.unwrap_or_else(|| self.downloads.clone()),
            },
            Input::Deny(id) => Command::DenyOffer(id),
            Input::Cancel(id) => Command::CancelOffer(id),
            Input::Share(path) => Command::ShareFile {
                conv: self.current.clone(),
                path,
            },
            Input::Get(file, dir) => Command::Download {
                file,
                dir: dir.unwrap_or_else(|| self.downloads.clone()),
            },
        };
        self.engine.send(command);
        Ok(())
    }

    /// What deleting `room` does, said before it is done.
    fn confirm_delete(&mut self, room: &str) -> Result<(), CliError> {
        let room = room.trim_start_matches('#').to_lowercase();
        let message = format!(
            "/deleteroom deletes #{room} for everyone: every message, every shared file and \
             every membership, for good (only its owner can). To go ahead: /deleteroom #{room} \
             --confirm"
        );
        if self.json {
            self.print_json(json!({
                "type": "confirm", "command": "deleteroom", "room": format!("#{room}"),
                "message": message,
            }))
        } else {
            self.say(&format!("! {message}"))
        }
    }

    /// The coordinator `/trust` means: the one with this fingerprint (short or full), or the
    /// last one reported.
    fn untrusted(&self, which: Option<&str>) -> Option<(String, Fingerprint)> {
        match which {
            None => self.untrusted.last().cloned(),
            Some(text) => {
                let pin: Pin = text.parse().ok()?;
                self.untrusted
                    .iter()
                    .find(|(_, fp)| pin.matches(fp))
                    .cloned()
            }
        }
    }

    fn event(&mut self, event: Event) -> Result<(), CliError> {
        match &event {
            Event::CoordinatorUnknown {
                name, fingerprint, ..
            }
            | Event::FingerprintChanged {
                name,
                offered: fingerprint,
                ..
            } if self.untrusted.len() < MAX_UNTRUSTED => {
                self.untrusted.push((name.clone(), *fingerprint));
            }
            Event::Message { message, .. } | Event::Changed { message, .. } => {
                let seq = self.latest.entry(message.conv.clone()).or_default();
                *seq = (*seq).max(message.seq);
                if message.conv == self.current {
                    self.engine.send(Command::MarkRead {
                        conv: message.conv.clone(),
                        seq: message.seq,
                    });
                }
            }
            Event::LoggedIn {
                user,
                conversations,
                ..
            } => {
                self.me = Some(user.username.clone());
                for s in conversations {
                    self.latest.insert(s.conv.clone(), s.last_seq);
                    self.muted.insert(s.conv.clone(), s.muted);
                }
            }
            Event::Sent { .. } => self.posted()?,
            Event::Error {
                command: Some(command),
                ..
            } if POSTS.contains(&command.as_str()) => self.posted()?,
            Event::Error {
                code,
                command: Some(command),
                ..
            } if (command == "login" || command == "register")
                && *code != Some(ErrorCode::RateLimited) =>
            {
                self.outcome = Outcome::LoginRefused;
                self.engine.send(Command::Shutdown);
            }
            _ => {}
        }
        let mention = match (&event, &self.me) {
            (Event::Message { message, .. }, Some(me)) => message.mentions_user(me),
            _ => false,
        };
        if self.json {
            let mut value = output::event_json(&event);
            if matches!(event, Event::Message { .. }) {
                value["mention"] = json!(mention);
            }
            self.print_json(value)?;
        } else if let Event::TransferProgress {
            key,
            name,
            done,
            total,
            rate,
            eta_ms,
        } = &event
        {
            if self.tty {
                let bar = output::progress_bar(*done, *total, *rate, *eta_ms);
                self.term.bar(&format!("{key} {name} {bar}"))?;
            }
        } else {
            for line in output::event_lines(&event) {
                let line = if mention {
                    format!("{line}  ← mentions you")
                } else {
                    line
                };
                self.say(&line)?;
            }
        }
        match &event {
            Event::Joined(s) => {
                self.latest.insert(s.conv.clone(), s.last_seq);
                self.switch(s.conv.clone())?;
                self.switched(true)?;
            }
            Event::Error {
                command: Some(command),
                ..
            } if command == "join" => self.switched(false)?,
            Event::RoomDeleted { room, .. } => self.lost_room(room)?,
            Event::Membership { room, user, change }
                if self
                    .me
                    .as_deref()
                    .is_some_and(|me| me.eq_ignore_ascii_case(user))
                    && matches!(
                        change,
                        MembershipChange::Kicked { .. } | MembershipChange::Banned { .. }
                    ) =>
            {
                self.lost_room(room)?
            }
            _ => {}
        }
        Ok(())
    }

    /// This user is no longer in `room`: talking there ends.
    fn lost_room(&mut self, room: &str) -> Result<(), CliError> {
        let conv = ConvRef::Room(room.to_string());
        self.latest.remove(&conv);
        if self.current == conv {
            self.switch(ConvRef::Room("general".into()))?;
        }
        Ok(())
    }
}
