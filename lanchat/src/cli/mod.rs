//! `lanchat cli`: a terminal client that is also the scripting and bot interface.
//!
//! Lines on stdin are commands (see [`input`]); events go to stdout as readable lines or, with
//! `--json`, one JSON object per line (see [`output`]). End of input logs out and exits 0.
//!
//! # Layout
//! - [`input`]: parsing typed lines.
//! - [`output`]: rendering events as text and JSON.
//! - [`terminal`]: the one writer of stdout, which escapes every control character.
//! - this file: the loop joining stdin, the engine and stdout.
pub mod input;
pub mod output;
pub mod terminal;

use std::collections::HashMap;
use std::io::{BufRead, Write};

use crossbeam_channel::{select, Receiver};
use lanchat_client::{Command, Engine, EngineConfig, Event};
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{ConvRef, ErrorCode, MsgId};
use serde_json::json;

use crate::args::{default_data_dir, CliArgs};
use input::{parse, Input, HELP};
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
        Err(_) => rpassword::prompt_password(format!("password for {username}: "))
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
    let lines = stdin_lines();
    let mut client = Client {
        engine,
        json: args.json,
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

/// Reads stdin on its own thread; the channel closes at end of input.
fn stdin_lines() -> Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) => {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    rx
}

/// Coordinators waiting to be trusted that `/trust` can pick from, at most.
const MAX_UNTRUSTED: usize = 64;

struct Client<W: Write> {
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
    fn run(&mut self, lines: Receiver<String>) -> Result<(), CliError> {
        let events = self.engine.events().clone();
        let mut lines = Some(lines);
        loop {
            let never = crossbeam_channel::never();
            select! {
                recv(lines.as_ref().unwrap_or(&never)) -> line => match line {
                    Ok(line) => self.input(&line)?,
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
        if !self.quitting {
            self.quitting = true;
            self.engine.send(Command::Logout);
        }
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
        if self.json {
            self.print_json(
                json!({"type": "sending", "conv": conv.to_string(), "id": id.to_string()}),
            )?;
        }
        self.engine.send(Command::Send { conv, text, id });
        Ok(())
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
            Input::Join(room) => Command::JoinRoom(room),
            Input::Create(room) => Command::CreateRoom(room),
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
            Input::Passwd { old, new } => Command::ChangePassword { old, new },
            Input::Mute(muted) => Command::SetMuted {
                conv: self.current.clone(),
                muted,
            },
            Input::Away(away) => Command::SetAway(away),
            Input::Unread => Command::Summaries,
            Input::SendFile(to, path) => Command::SendFile {
                to,
                path,
                name: None,
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
            Event::Message { message, .. } => {
                let seq = self.latest.entry(message.conv.clone()).or_default();
                *seq = (*seq).max(message.seq);
                if message.conv == self.current {
                    self.engine.send(Command::MarkRead {
                        conv: message.conv.clone(),
                        seq: message.seq,
                    });
                }
            }
            Event::LoggedIn { conversations, .. } => {
                for s in conversations {
                    self.latest.insert(s.conv.clone(), s.last_seq);
                    self.muted.insert(s.conv.clone(), s.muted);
                }
            }
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
        if self.json {
            self.print_json(output::event_json(&event))?;
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
                self.say(&line)?;
            }
        }
        if let Event::Joined(s) = &event {
            self.latest.insert(s.conv.clone(), s.last_seq);
            self.switch(s.conv.clone())?;
        }
        Ok(())
    }
}
