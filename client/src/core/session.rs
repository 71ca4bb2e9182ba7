//! The chat side of the core: logging in, commands, replies and pushed events.
use std::time::Instant;

use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::{
    ConvRef, ConvSummary, ErrorInfo, Event as Push, MembershipChange, MessageKind, Reply, Request,
    Settings, UserInfo, MAX_HISTORY_PAGE, TYPING_INTERVAL_MS,
};
use lanchat_net::rollover::{self, Rollover};

use super::locate::Attempt;
use super::pages::{self, Gathering};
use super::posts;
use super::sequencer::Step;
use super::{
    Action, Core, Credentials, DirectEndpoint, Pending, Phase, Token, MAX_QUEUED, PING_TIMEOUT,
};
use crate::api::{Command, Event, Target};

/// How many results a search shows.
const SEARCH_RESULTS: u32 = 50;

impl Core {
    /// Runs after every `handle_*`: once greeted and not logged in, log in with what we have.
    /// A session token is only ever presented to the coordinator that issued it.
    pub(super) fn after(&mut self) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        let busy = link.pending.values().any(|p| {
            matches!(
                p,
                Pending::Hello
                    | Pending::Auth { .. }
                    | Pending::Resume
                    | Pending::RegisterStart(_)
                    | Pending::LoginStart(_)
                    | Pending::Upgrade(_)
            )
        });
        if link.logged_in || link.verify_only || busy {
            return;
        }
        let fingerprint = link.fingerprint;
        match (&self.token, &self.credentials) {
            (Some(t), _) if t.issuer == fingerprint => {
                let token = t.token;
                self.request(Request::Resume { token }, Pending::Resume);
            }
            (_, Some(c)) => {
                let c = c.clone();
                self.start_auth(c);
            }
            _ => self.park(),
        }
    }

    /// Greeted, with nothing to log in with: closes the connection until there is (see
    /// `Phase::Parked`).
    fn park(&mut self) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        let attempt = Attempt {
            target: Target {
                addr: link.addr,
                pin: Pin::exact(link.fingerprint),
            },
            name: link.name.clone(),
            announce: self.current,
        };
        self.actions.push_back(Action::Close);
        self.phase = Phase::Parked(attempt);
    }

    /// Reconnects a parked core once it has something to log in with.
    pub(super) fn unpark(&mut self, now: Instant) {
        let Phase::Parked(attempt) = &self.phase else {
            return;
        };
        if self.credentials.is_some() || self.token.is_some() {
            let attempt = attempt.clone();
            self.connect(vec![attempt], false, now);
        }
    }

    /// A command while there is no session. False when told to stop.
    pub(super) fn offline_command(&mut self, command: Command) -> bool {
        match command {
            Command::Shutdown => false,
            // A login is under way (or will resume): do what was asked before, then log out.
            Command::Logout if self.credentials.is_some() || self.token.is_some() => {
                self.queued.push_back(Command::Logout);
                true
            }
            Command::Logout => {
                if !self.posts.is_empty() {
                    let message = format!(
                        "{} message(s) were not delivered: not connected to the coordinator",
                        self.posts.len()
                    );
                    self.error(None, message, Some("logout"));
                }
                self.emit(Event::LoggedOut);
                false
            }
            Command::Login { username, password } => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: false,
                });
                true
            }
            Command::Register { username, password } => {
                self.credentials = Some(Credentials {
                    username,
                    password,
                    register: true,
                });
                true
            }
            // Taken by `handle_command`.
            Command::AcceptFingerprint { .. } | Command::RememberSession(_) => true,
            // Nobody to tell while offline; a later keystroke tells again.
            Command::Typing(_) => true,
            other => {
                let other = match posts::post(other) {
                    Ok((id, request)) => {
                        if let Err(why) = self.posts.push(id, request) {
                            self.error(None, why, Some("send"));
                        }
                        return true;
                    }
                    Err(other) => other,
                };
                if self.queued.len() < MAX_QUEUED {
                    self.queued.push_back(other);
                } else {
                    self.error(
                        None,
                        "not connected, and too many commands are waiting",
                        None,
                    );
                }
                true
            }
        }
    }

    /// A command with a session.
    pub(super) fn online_command(&mut self, command: Command, now: Instant) {
        let command = match self.file_command(command) {
            Some(command) => command,
            None => return,
        };
        let command = match posts::post(command) {
            Ok((id, request)) => {
                if let Err(why) = self.posts.push(id, request) {
                    self.error(None, why, Some("send"));
                }
                self.pump();
                return;
            }
            Err(command) => command,
        };
        let (request, pending) = match command {
            Command::Shutdown => {
                self.stop();
                return;
            }
            // Everything posted before is stored first.
            Command::Logout if !self.posts.is_empty() => {
                self.posts.logout_waiting = true;
                return;
            }
            Command::Logout => (Request::Logout, Pending::Logout),
            Command::Login { .. } | Command::Register { .. } => {
                self.error(None, "already logged in", Some("login"));
                return;
            }
            Command::AcceptFingerprint { .. } | Command::RememberSession(_) => return,
            // Taken by `posts::post` above.
            Command::Send { .. }
            | Command::Reply { .. }
            | Command::Edit { .. }
            | Command::Delete { .. }
            | Command::React { .. } => return,
            Command::Typing(conv) => {
                self.typing(conv, now);
                return;
            }
            Command::History {
                conv,
                before,
                limit,
            } => (
                Request::Before {
                    conv,
                    before: before.unwrap_or(u64::MAX),
                    limit,
                },
                Pending::History,
            ),
            Command::MarkRead { conv, seq } => {
                (Request::MarkRead { conv, seq }, Pending::Command("read"))
            }
            Command::CreateRoom(name) => (
                Request::CreateRoom {
                    name,
                    private: false,
                    full_history: false,
                },
                Pending::Join,
            ),
            Command::CreatePrivateRoom { name, full_history } => (
                Request::CreateRoom {
                    name,
                    private: true,
                    full_history,
                },
                Pending::Join,
            ),
            Command::Invite { room, user } => (
                Request::Invite { name: room, user },
                Pending::Command("invite"),
            ),
            Command::Ban { room, user } => {
                (Request::Ban { name: room, user }, Pending::Command("ban"))
            }
            Command::Unban { room, user } => (
                Request::Unban { name: room, user },
                Pending::Command("unban"),
            ),
            Command::SetPrivate { room, private } => (
                Request::SetPrivate {
                    name: room,
                    private,
                },
                Pending::Command(if private { "private" } else { "public" }),
            ),
            Command::SetArchived { room, archived } => (
                Request::SetArchived {
                    name: room,
                    archived,
                },
                Pending::Command(if archived { "archive" } else { "unarchive" }),
            ),
            Command::DeleteRoom(name) => {
                (Request::DeleteRoom { name }, Pending::Command("deleteroom"))
            }
            Command::SetSetting { setting, on } => (
                Request::SetSetting { setting, on },
                // The coordinator tells every session of this user (`Event::Settings`).
                Pending::Quiet("settings"),
            ),
            Command::JoinRoom(name) => (Request::JoinRoom { name }, Pending::Join),
            Command::LeaveRoom(name) => (Request::LeaveRoom { name }, Pending::Command("leave")),
            Command::ListRooms => (
                Request::ListRooms { after: None },
                Pending::List(Gathering::Rooms(Vec::new())),
            ),
            Command::Members(name) => (
                Request::Members {
                    name: name.clone(),
                    after: 0,
                },
                Pending::List(Gathering::Members {
                    room: name,
                    members: Vec::new(),
                }),
            ),
            Command::SetTopic { room, topic } => (
                Request::SetTopic { name: room, topic },
                Pending::Command("topic"),
            ),
            Command::Kick { room, user } => {
                (Request::Kick { name: room, user }, Pending::Command("kick"))
            }
            Command::Promote { room, user } => (
                Request::Promote { name: room, user },
                Pending::Command("promote"),
            ),
            Command::Users => (
                Request::Users { after: None },
                Pending::List(Gathering::Users(Vec::new())),
            ),
            Command::Search(query) => pages::search(query, SEARCH_RESULTS),
            Command::SetDisplay(display) => {
                (Request::SetDisplay { display }, Pending::Command("nick"))
            }
            Command::ChangePassword { old, new } => {
                self.change_password(old, new);
                return;
            }
            Command::SetAway(away) => (
                Request::SetAway { away },
                Pending::Command(if away { "away" } else { "back" }),
            ),
            Command::SetMuted { conv, muted } => (
                Request::SetMuted { conv, muted },
                Pending::Command(if muted { "mute" } else { "unmute" }),
            ),
            Command::Summaries => (Request::Summaries, Pending::Command("unread")),
            // File commands were taken above.
            Command::SendFile { .. }
            | Command::SendFiles { .. }
            | Command::ShareFile { .. }
            | Command::AcceptOffer { .. }
            | Command::DenyOffer(_)
            | Command::CancelOffer(_)
            | Command::Download { .. } => return,
        };
        self.request(request, pending);
    }

    pub(super) fn on_reply(&mut self, id: u64, result: Result<Reply, ErrorInfo>, now: Instant) {
        let Phase::Connected(link) = &mut self.phase else {
            return;
        };
        let Some(pending) = link.pending.remove(&id) else {
            if let Err(e) = result {
                // Id 0: the coordinator refused the connection itself (malformed frame).
                self.error(Some(e.code), e.message, None);
            }
            return;
        };
        let (pending, result) = match self.file_reply(pending, result) {
            Some(unhandled) => unhandled,
            None => return,
        };
        let (pending, result) = match self.auth_reply(pending, result) {
            Some(unhandled) => unhandled,
            None => return,
        };
        match (pending, result) {
            (Pending::Hello, Ok(Reply::Welcome { name, rollover, .. })) => {
                self.on_welcome(name, &rollover, now)
            }
            (Pending::Hello, Err(e)) => {
                self.error(Some(e.code), e.message.clone(), None);
                self.retry(e.message, now);
            }
            (
                pending @ (Pending::Auth { .. } | Pending::Resume),
                Ok(Reply::LoggedIn {
                    user,
                    settings,
                    token,
                    conversations,
                }),
            ) => {
                if matches!(pending, Pending::Auth { .. }) {
                    self.note_opaque_login(&user.username);
                }
                self.on_logged_in(user, settings, token, conversations, now)
            }
            (Pending::PasswordFinish(new), Ok(Reply::Ok)) => self.password_changed(new),
            (Pending::Resume, Err(e)) => {
                // The token is gone (expired, revoked by a password change, or the coordinator
                // lost it). Never silently: the user hears why, then the password is used.
                self.token = None;
                if self.saved.is_some() {
                    self.forget_session();
                }
                let message = if self.credentials.is_some() {
                    format!("{}; logging in with the password again", e.message)
                } else {
                    e.message
                };
                self.error(Some(e.code), message, Some("resume"));
            }
            (Pending::Ping, _) => {
                if let Phase::Connected(link) = &mut self.phase {
                    link.ping_deadline = None;
                }
            }
            (Pending::Auth { register }, Err(e)) => {
                self.credentials = None;
                let command = if register { "register" } else { "login" };
                self.error(Some(e.code), e.message, Some(command));
            }
            (Pending::Post(id, command), result) => {
                self.posts.answered(id);
                match result {
                    Ok(Reply::Sent { conv, id, seq, .. }) => {
                        self.emit(Event::Sent { conv, id, seq })
                    }
                    Ok(other) => unexpected(command, &other),
                    Err(e) => self.error(Some(e.code), e.message, Some(command)),
                }
                self.pump();
            }
            (Pending::After(conv), Ok(Reply::Messages { messages, .. })) => {
                let full = messages.len() as u32 >= MAX_HISTORY_PAGE;
                let step = self.sequencer.page(&conv, messages, full);
                self.deliver(step, true);
            }
            (Pending::History, Ok(Reply::Messages { conv, messages })) => {
                self.emit(Event::History { conv, messages })
            }
            (Pending::List(list), Ok(reply)) => {
                if let Some(other) = self.list_page(list, reply) {
                    unexpected("a list", &other);
                }
            }
            (Pending::WaitingOffers, Ok(Reply::Offers { offers, next })) => {
                for offer in offers {
                    self.file_push(Push::FileOffer(offer));
                }
                if let Some(after) = next {
                    self.request(Request::PendingOffers { after }, Pending::WaitingOffers);
                }
            }
            (Pending::Join, Ok(Reply::Summaries(list))) => {
                for s in list {
                    self.learn(&s.conv, s.read_seq, s.last_seq);
                    self.emit(Event::Joined(s));
                }
            }
            (Pending::Logout, result) => {
                if let Err(e) = result {
                    self.error(Some(e.code), e.message, Some("logout"));
                }
                self.token = None;
                self.emit(Event::LoggedOut);
                self.stop();
            }
            (Pending::Command(_), Ok(Reply::Summaries(list))) => self.emit(Event::Summaries(list)),
            (Pending::Quiet(_), Ok(_)) => {}
            (Pending::Command(command), Ok(Reply::Ok)) => self.emit(Event::Done {
                command: command.to_string(),
            }),
            (pending, Err(e)) => {
                let command = pending.command();
                self.error(Some(e.code), e.message, Some(&command));
            }
            (pending, Ok(reply)) => unexpected(&format!("{pending:?}"), &reply),
        }
    }

    /// Greeted. A coordinator we only connected to for its rollover statements must show
    /// that a pinned key handed over to its own; a trusted one is pinned (with the address
    /// that worked) now that the handshake proved it holds the key.
    fn on_welcome(&mut self, server: String, chain: &[Rollover], now: Instant) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        let (addr, fingerprint, verify_only) = (link.addr, link.fingerprint, link.verify_only);
        if verify_only {
            let pins = &self.pins;
            match rollover::vouched_by(chain, fingerprint, |f| pins.is_pinned(f)) {
                Some(old) => {
                    self.pins.unpin(&old);
                    if self.opaque_logins.rekey(&old, fingerprint) {
                        let logins = self.opaque_logins.clone();
                        self.actions.push_back(Action::SaveOpaqueLogins(logins));
                    }
                    self.emit(Event::CoordinatorRolledOver {
                        name: server.clone(),
                        old,
                        new: fingerprint,
                    });
                    if let Phase::Connected(link) = &mut self.phase {
                        link.verify_only = false;
                    }
                }
                None => {
                    let pinned = self
                        .pins
                        .entries()
                        .iter()
                        .find(|e| e.name == server)
                        .map(|e| e.fingerprint.short())
                        .unwrap_or_default();
                    self.refused.insert(fingerprint);
                    self.warn_changed(&server, &pinned, fingerprint);
                    let reason = format!("coordinator '{server}' presents an unpinned key");
                    self.retry(reason, now);
                    return;
                }
            }
        }
        let name = if self.config.coordinator.is_some() || server.is_empty() {
            server.clone()
        } else {
            link_name(&self.phase).unwrap_or_else(|| server.clone())
        };
        if !self.pins.is_pinned(&fingerprint) {
            // A key accepted by the person for a name already pinned replaces that pin.
            self.pins.replace_name(&name, &fingerprint);
        }
        self.pin(fingerprint, &name, addr);
        self.emit(Event::Connected { name: server, addr });
    }

    fn on_logged_in(
        &mut self,
        user: UserInfo,
        settings: Settings,
        token: [u8; 32],
        conversations: Vec<ConvSummary>,
        now: Instant,
    ) {
        let Phase::Connected(link) = &mut self.phase else {
            return;
        };
        link.logged_in = true;
        let token = Token {
            issuer: link.fingerprint,
            token,
        };
        self.token = Some(token);
        self.logged_in_user = Some(user.username.clone());
        self.keep_session(token, user.username.clone());
        if let Some(c) = &mut self.credentials {
            c.register = false;
        }
        let resumed = self.logged_in_before;
        self.logged_in_before = true;
        self.settings = settings;
        self.note_presence(user.clone());
        self.emit(Event::LoggedIn {
            user,
            settings,
            conversations: conversations.clone(),
            resumed,
        });
        // Rooms left, lost or deleted while away are forgotten: one made again under the
        // same name is a new sequence.
        self.sequencer
            .retain(|conv| conversations.iter().any(|s| &s.conv == conv));
        for s in &conversations {
            self.learn(&s.conv, s.read_seq, s.last_seq);
        }
        // Resend what was never acknowledged (idempotent by id), then the rest.
        self.pump();
        self.actions.push_back(Action::SessionReady);
        // The offers that waited for this login, a page at a time.
        self.request(Request::PendingOffers { after: 0 }, Pending::WaitingOffers);
        if let Some(DirectEndpoint { port, fingerprint }) = self.config.peer_endpoint {
            let request = Request::SetPeerEndpoint { port, fingerprint };
            self.request(request, Pending::Quiet("peer endpoint"));
        }
        for (request, pending) in std::mem::take(&mut self.files.deferred) {
            self.request(request, pending);
        }
        while let Some(command) = self.queued.pop_front() {
            self.online_command(command, now);
            if !self.is_logged_in() {
                break;
            }
        }
    }

    /// Pins `fingerprint` under `name` with the address that worked, and keeps the pins if
    /// that changed anything.
    fn pin(&mut self, fingerprint: Fingerprint, name: &str, addr: std::net::SocketAddr) {
        let before = self.pins.clone();
        self.pins.pin(fingerprint, name, Some(addr));
        if self.pins != before {
            self.actions.push_back(Action::SavePins(self.pins.clone()));
        }
    }

    /// An announcement claims our coordinator restarted. Beacons can be forged, the connection
    /// cannot: ask it whether it is still there, and reconnect only if it does not answer.
    pub(super) fn check_alive(&mut self, now: Instant) {
        let waiting = matches!(&self.phase, Phase::Connected(link) if link.ping_deadline.is_some());
        if waiting || !self.is_logged_in() {
            return;
        }
        self.request(Request::Ping, Pending::Ping);
        if let Phase::Connected(link) = &mut self.phase {
            link.ping_deadline = Some(now + PING_TIMEOUT);
        }
    }

    pub(super) fn on_push(&mut self, push: Push) {
        match push {
            Push::Message(message) => {
                let step = self.sequencer.live(message);
                self.deliver(step, false);
            }
            Push::Presence(user) => self.note_presence(user),
            Push::Membership { room, user, change } => {
                let me = self
                    .logged_in_user
                    .as_deref()
                    .is_some_and(|me| me.eq_ignore_ascii_case(&user));
                let out = matches!(
                    change,
                    MembershipChange::Left
                        | MembershipChange::Kicked { .. }
                        | MembershipChange::Banned { .. }
                );
                if me && out {
                    self.sequencer.forget(&ConvRef::Room(room.clone()));
                }
                self.emit(Event::Membership { room, user, change })
            }
            Push::Invited { room, by } => self.emit(Event::Invited { room, by }),
            Push::RoomChanged {
                room,
                private,
                archived,
                by,
            } => self.emit(Event::RoomChanged {
                room,
                private,
                archived,
                by,
            }),
            Push::RoomDeleted { room, by } => {
                self.sequencer.forget(&ConvRef::Room(room.clone()));
                self.emit(Event::RoomDeleted { room, by })
            }
            Push::Typing { conv, user } => self.emit(Event::Typing { conv, user }),
            Push::Seen { conv, user, seq } => self.emit(Event::Seen { conv, user, seq }),
            Push::Settings(settings) => {
                self.settings = settings;
                self.emit(Event::Settings(settings))
            }
            Push::Topic { room, topic, by } => self.emit(Event::Topic { room, topic, by }),
            Push::ConvState(summary) => self.emit(Event::ConvState(summary)),
            push @ (Push::FileOffer(_)
            | Push::OfferAnswered { .. }
            | Push::OfferCancelled { .. }
            | Push::RelayRequested { .. }) => self.file_push(push),
            Push::Shutdown { reason } => {
                tracing::info!("coordinator shutting down: {reason}");
                self.retired.extend(self.current.map(|(id, _)| id));
            }
        }
    }

    /// Learns a conversation's state and fetches what is missing.
    pub(super) fn learn(&mut self, conv: &ConvRef, read_seq: u64, last_seq: u64) {
        if let Some((conv, after)) = self.sequencer.learn(conv, read_seq, last_seq) {
            self.fetch(conv, after);
        }
    }

    pub(super) fn deliver(&mut self, step: Step, backlog: bool) {
        for message in step.deliver {
            if message.kind == MessageKind::Change {
                self.emit(Event::Changed { message, backlog });
            } else {
                self.emit(Event::Message { message, backlog });
            }
        }
        if let Some((conv, after)) = step.fetch {
            self.fetch(conv, after);
        }
    }

    /// Sends the posts the window has room for (when logged in), and a logout that waited
    /// for them once they are all stored.
    pub(super) fn pump(&mut self) {
        if !self.is_logged_in() {
            return;
        }
        while let Some((id, request)) = self.posts.next() {
            let command = match &request {
                Request::Send { reply_to: None, .. } => "send",
                Request::Send { .. } => "reply",
                Request::Change { change, .. } => match change {
                    lanchat_net::protocol::ChangeRequest::Edit { .. } => "edit",
                    lanchat_net::protocol::ChangeRequest::Delete => "delete",
                    lanchat_net::protocol::ChangeRequest::React { .. } => "react",
                },
                _ => "send",
            };
            self.request(request, Pending::Post(id, command));
        }
        if self.posts.is_empty() && std::mem::take(&mut self.posts.logout_waiting) {
            self.request(Request::Logout, Pending::Logout);
        }
    }

    /// The user types in `conv`: the coordinator hears it at most every
    /// [`TYPING_INTERVAL_MS`], and never when typing indicators are off.
    fn typing(&mut self, conv: ConvRef, now: Instant) {
        if !self.settings.typing {
            return;
        }
        let interval = std::time::Duration::from_millis(TYPING_INTERVAL_MS);
        if self
            .typing_sent
            .get(&conv)
            .is_some_and(|t| now.saturating_duration_since(*t) < interval)
        {
            return;
        }
        // Bounded: only the recent ones matter.
        if self.typing_sent.len() >= 64 {
            self.typing_sent
                .retain(|_, t| now.saturating_duration_since(*t) < interval);
        }
        self.typing_sent.insert(conv.clone(), now);
        self.request(Request::Typing { conv }, Pending::Quiet("typing"));
    }

    pub(super) fn fetch(&mut self, conv: ConvRef, after: u64) {
        let request = Request::After {
            conv: conv.clone(),
            after,
            limit: MAX_HISTORY_PAGE,
        };
        self.request(request, Pending::After(conv));
    }
}

/// The name the current connection's coordinator had when chosen.
fn link_name(phase: &Phase) -> Option<String> {
    match phase {
        Phase::Connected(link) => Some(link.name.clone()),
        _ => None,
    }
}

fn unexpected(what: &str, reply: &Reply) {
    tracing::warn!("unexpected reply to {what}: {reply:?}");
}
