//! The view model: everything the windows show, updated by [`apply`] from engine events.
//!
//! Pure data, no widgets: the fltk side only renders a [`Model`] and turns clicks into
//! [`Command`]s, so every rule here (unread counts, presence, kicks, succession, transfers) is
//! unit-tested without a display. Methods that answer a user action (switching conversation,
//! asking for older history) return the engine commands to send instead of sending them.
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;

use lanchat_client::{Command, Event, TransferKey};
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::protocol::{
    ChatMessage, ConvRef, ConvSummary, ErrorCode, FileOffer, MemberInfo, MembershipChange, MsgId,
    PresenceStatus, Role, RoomInfo, UserInfo,
};

/// How many messages one history request asks for.
pub const HISTORY_PAGE: u32 = 50;

/// Where logging in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Looking for a coordinator on the LAN.
    Discovering,
    /// Nothing answered for a while (the login window offers to host one, retry, or enter an
    /// address). Set by the UI's timer, not by an event.
    NotFound,
    /// A coordinator is known (connecting or connected); not logged in.
    Found,
    /// The coordinator's fingerprint differs from the pinned one: the person must confirm.
    FingerprintChanged {
        /// Coordinator name.
        name: String,
        /// What was pinned (short form).
        pinned: String,
        /// What it presents now.
        offered: Fingerprint,
    },
    /// Logged in; the main window is up.
    LoggedIn,
    /// The engine stopped (logged out or shut down).
    Stopped,
}

/// The coordinator the engine chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorInfo {
    /// Announced name.
    pub name: String,
    /// QUIC address.
    pub addr: SocketAddr,
    /// Fingerprint, short grouped form.
    pub fingerprint: String,
    /// Not pinned before: show it for the person to compare.
    pub first_use: bool,
}

/// A message typed here and not yet echoed back by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its id.
    pub id: MsgId,
    /// Its text.
    pub text: String,
}

/// One room or direct conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversation {
    /// Topic (rooms).
    pub topic: String,
    /// Newest seq known.
    pub last_seq: u64,
    /// Read up to here.
    pub read_seq: u64,
    /// Muted: no count, no beep.
    pub muted: bool,
    /// This user's role (rooms).
    pub role: Option<Role>,
    /// Messages by seq (so history and live messages merge without duplicates).
    pub messages: BTreeMap<u64, ChatMessage>,
    /// Sent, not yet stored.
    pub pending: Vec<Pending>,
    /// The coordinator has nothing older than what is loaded.
    pub history_done: bool,
    /// A history request is under way (do not ask twice).
    pub history_asked: bool,
}

impl Conversation {
    fn from_summary(s: &ConvSummary) -> Self {
        let mut c = Conversation::default();
        c.update(s);
        c
    }

    fn update(&mut self, s: &ConvSummary) {
        self.topic = s.topic.clone();
        self.last_seq = self.last_seq.max(s.last_seq);
        self.read_seq = s.read_seq;
        self.muted = s.muted;
        self.role = matches!(s.conv, ConvRef::Room(_)).then_some(s.role);
    }

    /// Messages not read yet.
    pub fn unread(&self) -> u64 {
        self.last_seq.saturating_sub(self.read_seq)
    }

    /// The oldest loaded seq.
    pub fn oldest(&self) -> Option<u64> {
        self.messages.keys().next().copied()
    }
}

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    /// Offered; the recipient has not answered.
    Waiting,
    /// Bytes are moving.
    Moving,
    /// Finished and the BLAKE3 hash checked out.
    Verified {
        /// Where it was saved (receiving side).
        path: Option<PathBuf>,
    },
    /// Failed, denied or cancelled; says why.
    Failed(String),
}

/// A file moving to or from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Which one.
    pub key: TransferKey,
    /// File name.
    pub name: String,
    /// Bytes done.
    pub done: u64,
    /// File size.
    pub total: u64,
    /// Bytes per second.
    pub rate: u64,
    /// Time left.
    pub eta_ms: Option<u64>,
    /// State.
    pub state: TransferState,
}

impl Transfer {
    fn new(key: TransferKey, name: &str, total: u64, state: TransferState) -> Self {
        Transfer {
            key,
            name: name.to_string(),
            done: 0,
            total,
            rate: 0,
            eta_ms: None,
            state,
        }
    }

    /// Still running (can be cancelled).
    pub fn active(&self) -> bool {
        matches!(self.state, TransferState::Waiting | TransferState::Moving)
    }
}

/// Everything the windows show.
#[derive(Debug, Clone)]
pub struct Model {
    /// Login progress.
    pub phase: Phase,
    /// The chosen coordinator.
    pub coordinator: Option<CoordinatorInfo>,
    /// Why the last login or registration was refused, in plain words.
    pub login_error: Option<String>,
    /// The connection is down: why, and when the engine retries.
    pub connection: Option<String>,
    /// This user.
    pub me: Option<UserInfo>,
    /// Conversations this user is in.
    pub convs: BTreeMap<ConvRef, Conversation>,
    /// The one shown.
    pub current: ConvRef,
    /// Everyone known, by lower-case username.
    pub people: BTreeMap<String, UserInfo>,
    /// Rooms on the coordinator (from the last room list).
    pub directory: Vec<RoomInfo>,
    /// Room members, by room (loaded when a room is shown).
    pub members: HashMap<String, Vec<MemberInfo>>,
    /// Incoming file offers waiting for an answer.
    pub offers: Vec<FileOffer>,
    /// Transfers, oldest first.
    pub transfers: Vec<Transfer>,
    /// Errors and notices for the status bar, oldest first.
    pub notices: Vec<String>,
    /// The last search and what it found (newest first).
    pub search: Option<(String, Vec<ChatMessage>)>,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            phase: Phase::Discovering,
            coordinator: None,
            login_error: None,
            connection: None,
            me: None,
            convs: BTreeMap::new(),
            current: general(),
            people: BTreeMap::new(),
            directory: Vec::new(),
            members: HashMap::new(),
            offers: Vec::new(),
            transfers: Vec::new(),
            notices: Vec::new(),
            search: None,
        }
    }
}

/// The public channel.
pub fn general() -> ConvRef {
    ConvRef::Room("general".into())
}

fn same_user(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Updates the model with one engine event.
pub fn apply(model: &mut Model, event: Event) {
    match event {
        Event::Discovering => {
            if model.phase != Phase::NotFound {
                model.phase = Phase::Discovering;
            }
        }
        Event::CoordinatorFound {
            name,
            addr,
            fingerprint,
            first_use,
        } => {
            model.coordinator = Some(CoordinatorInfo {
                name,
                addr,
                fingerprint: fingerprint.short(),
                first_use,
            });
            if model.phase != Phase::LoggedIn {
                model.phase = Phase::Found;
            }
        }
        Event::FingerprintChanged {
            name,
            pinned,
            offered,
        } => {
            model.phase = Phase::FingerprintChanged {
                name,
                pinned,
                offered,
            }
        }
        Event::Connected { .. } => model.connection = None,
        Event::LoggedIn {
            user,
            conversations,
            ..
        } => {
            model.phase = Phase::LoggedIn;
            model.login_error = None;
            model.connection = None;
            model
                .people
                .insert(user.username.to_lowercase(), user.clone());
            model.me = Some(user);
            for s in &conversations {
                match model.convs.get_mut(&s.conv) {
                    Some(c) => c.update(s),
                    None => {
                        model
                            .convs
                            .insert(s.conv.clone(), Conversation::from_summary(s));
                    }
                }
            }
            // Rooms left or lost while away disappear (DMs stay: they exist with anyone).
            model.convs.retain(|conv, _| {
                matches!(conv, ConvRef::Dm(_)) || conversations.iter().any(|s| &s.conv == conv)
            });
            if !model.convs.contains_key(&model.current) {
                model.current = general();
            }
            mark_current_read(model);
        }
        Event::Message { message, .. } => add_message(model, message),
        Event::Sent { .. } => {}
        Event::History { conv, messages } => {
            let c = model.convs.entry(conv).or_default();
            c.history_asked = false;
            if messages.is_empty() {
                c.history_done = true;
            }
            for m in messages {
                if m.seq == 1 {
                    c.history_done = true;
                }
                c.last_seq = c.last_seq.max(m.seq);
                c.messages.insert(m.seq, m);
            }
        }
        Event::Rooms(rooms) => model.directory = rooms,
        Event::Members { room, members } => {
            for m in &members {
                let known = model.people.entry(m.username.to_lowercase());
                known.or_insert_with(|| UserInfo {
                    username: m.username.clone(),
                    display: m.display.clone(),
                    status: m.status,
                });
            }
            model.members.insert(room, members);
        }
        Event::Users(users) => {
            model.people = users
                .into_iter()
                .map(|u| (u.username.to_lowercase(), u))
                .collect();
        }
        Event::SearchResults { query, messages } => model.search = Some((query, messages)),
        Event::Summaries(summaries) => {
            for s in summaries {
                model.convs.entry(s.conv.clone()).or_default().update(&s);
            }
            mark_current_read(model);
        }
        Event::Joined(s) => {
            let conv = s.conv.clone();
            model.convs.entry(conv.clone()).or_default().update(&s);
            model.current = conv;
            mark_current_read(model);
        }
        Event::Presence(user) => {
            if let Some(me) = &mut model.me {
                if same_user(&me.username, &user.username) {
                    *me = user.clone();
                }
            }
            for members in model.members.values_mut() {
                for m in members.iter_mut() {
                    if same_user(&m.username, &user.username) {
                        m.status = user.status;
                        m.display = user.display.clone();
                    }
                }
            }
            // Everyone is in #general: someone new (just registered) is a member there too.
            if let Some(general) = model.members.get_mut("general") {
                if !general
                    .iter()
                    .any(|m| same_user(&m.username, &user.username))
                {
                    general.push(MemberInfo {
                        username: user.username.clone(),
                        display: user.display.clone(),
                        role: Role::Member,
                        status: user.status,
                    });
                }
            }
            model.people.insert(user.username.to_lowercase(), user);
        }
        Event::Membership { room, user, change } => membership(model, room, user, change),
        Event::Topic { room, topic, .. } => {
            if let Some(c) = model.convs.get_mut(&ConvRef::Room(room.clone())) {
                c.topic = topic.clone();
            }
            if let Some(r) = model.directory.iter_mut().find(|r| r.name == room) {
                r.topic = topic;
            }
        }
        Event::ConvState(s) => {
            model.convs.entry(s.conv.clone()).or_default().update(&s);
        }
        Event::FileOffered(offer) => model.offers.push(offer),
        Event::OfferSent(offer) => {
            let key = TransferKey::Offer(offer.id);
            let t = Transfer::new(key, &offer.name, offer.size, TransferState::Waiting);
            upsert(model, t);
        }
        Event::OfferAnswered { id, accepted } => {
            if let Some(t) = transfer(model, TransferKey::Offer(id)) {
                t.state = if accepted {
                    TransferState::Moving
                } else {
                    TransferState::Failed("denied by the recipient".into())
                };
            }
        }
        Event::OfferCancelled { id, by } => {
            model.offers.retain(|o| o.id != id);
            if let Some(t) = transfer(model, TransferKey::Offer(id)) {
                t.state = TransferState::Failed(format!("cancelled by {by}"));
            }
        }
        Event::TransferProgress {
            key,
            name,
            done,
            total,
            rate,
            eta_ms,
        } => {
            if transfer(model, key).is_none() {
                upsert(
                    model,
                    Transfer::new(key, &name, total, TransferState::Moving),
                );
            }
            if let Some(t) = transfer(model, key) {
                t.done = done;
                t.total = total;
                t.rate = rate;
                t.eta_ms = eta_ms;
                t.state = TransferState::Moving;
            }
        }
        Event::TransferDone {
            key,
            name,
            path,
            size,
            ..
        } => {
            let mut t = Transfer::new(key, &name, size, TransferState::Verified { path });
            t.done = size;
            upsert(model, t);
        }
        Event::TransferFailed { key, name, reason } => {
            let state = TransferState::Failed(reason);
            match transfer(model, key) {
                Some(t) => t.state = state,
                None => upsert(model, Transfer::new(key, &name, 0, state)),
            }
        }
        Event::Done { .. } => {}
        Event::Error {
            code,
            message,
            command,
        } => {
            let words = plain_words(code, &message);
            // A refused login belongs to the login window, not the main window's status bar.
            if matches!(command.as_deref(), Some("login" | "register")) {
                model.login_error = Some(words);
            } else {
                model.notices.push(words);
            }
        }
        Event::Disconnected {
            reason,
            retry_in_ms,
        } => {
            let secs = retry_in_ms.div_ceil(1000);
            model.connection = Some(format!(
                "Connection lost ({reason}); trying again in {secs} s"
            ));
        }
        Event::LoggedOut | Event::Stopped => model.phase = Phase::Stopped,
    }
}

fn add_message(model: &mut Model, message: ChatMessage) {
    let mine = model
        .me
        .as_ref()
        .is_some_and(|me| same_user(&me.username, &message.sender));
    let is_current = message.conv == model.current;
    let c = model.convs.entry(message.conv.clone()).or_default();
    c.pending.retain(|p| p.id != message.id);
    c.last_seq = c.last_seq.max(message.seq);
    // Own messages and what is on screen are read (the UI also tells the coordinator).
    if mine || is_current {
        c.read_seq = c.read_seq.max(message.seq);
    }
    c.messages.insert(message.seq, message);
}

fn membership(model: &mut Model, room: String, user: String, change: MembershipChange) {
    let me = model.me.as_ref().map(|u| u.username.clone());
    let is_me = me.as_deref().is_some_and(|me| same_user(me, &user));
    let conv = ConvRef::Room(room.clone());
    match &change {
        MembershipChange::Left | MembershipChange::Kicked { .. } if is_me => {
            model.convs.remove(&conv);
            model.members.remove(&room);
            if model.current == conv {
                model.current = general();
            }
            if let MembershipChange::Kicked { by } = &change {
                model
                    .notices
                    .push(format!("You were removed from #{room} by {by}."));
            }
            return;
        }
        MembershipChange::Promoted { .. } if is_me => {
            if let Some(c) = model.convs.get_mut(&conv) {
                c.role = Some(Role::Admin);
            }
        }
        MembershipChange::Owner if is_me => {
            if let Some(c) = model.convs.get_mut(&conv) {
                c.role = Some(Role::Owner);
            }
        }
        _ => {}
    }
    let Some(members) = model.members.get_mut(&room) else {
        return;
    };
    match change {
        MembershipChange::Joined => {
            if !members.iter().any(|m| same_user(&m.username, &user)) {
                let known = model.people.get(&user.to_lowercase());
                members.push(MemberInfo {
                    username: user.clone(),
                    display: known.map_or(user.clone(), |u| u.display.clone()),
                    role: Role::Member,
                    status: known.map_or(PresenceStatus::Online, |u| u.status),
                });
            }
        }
        MembershipChange::Left | MembershipChange::Kicked { .. } => {
            members.retain(|m| !same_user(&m.username, &user));
        }
        MembershipChange::Promoted { .. } | MembershipChange::Owner => {
            let role = if change == MembershipChange::Owner {
                Role::Owner
            } else {
                Role::Admin
            };
            for m in members.iter_mut() {
                if same_user(&m.username, &user) {
                    m.role = role;
                }
            }
        }
    }
}

fn mark_current_read(model: &mut Model) {
    if let Some(c) = model.convs.get_mut(&model.current) {
        c.read_seq = c.read_seq.max(c.last_seq);
    }
}

fn transfer(model: &mut Model, key: TransferKey) -> Option<&mut Transfer> {
    model.transfers.iter_mut().find(|t| t.key == key)
}

fn upsert(model: &mut Model, t: Transfer) {
    match transfer(model, t.key) {
        Some(old) => *old = t,
        None => model.transfers.push(t),
    }
}

/// An engine error as a person would say it.
pub fn plain_words(code: Option<ErrorCode>, message: &str) -> String {
    match code {
        Some(ErrorCode::AuthFailed) => "Wrong username or password.".into(),
        Some(ErrorCode::UsernameTaken) => {
            "That username is taken. Pick another one, or log in if it is yours.".into()
        }
        Some(ErrorCode::WeakPassword) => format!("Password too weak: {message}"),
        Some(ErrorCode::RateLimited) => {
            format!("Too many attempts; wait a minute and try again. ({message})")
        }
        Some(ErrorCode::NoSuchUser) => format!("No such user: {message}"),
        Some(ErrorCode::NoSuchRoom) => format!("No such room: {message}"),
        Some(ErrorCode::PermissionDenied) => format!("Not allowed: {message}"),
        Some(ErrorCode::TooLarge) => format!("Too large: {message}"),
        _ => message.to_string(),
    }
}

impl Model {
    /// This user's username, once logged in.
    pub fn username(&self) -> Option<&str> {
        self.me.as_ref().map(|u| u.username.as_str())
    }

    /// Unread messages in conversations that are not muted (for the window title).
    pub fn total_unread(&self) -> u64 {
        self.convs
            .values()
            .filter(|c| !c.muted)
            .map(Conversation::unread)
            .sum()
    }

    /// The current conversation.
    pub fn current_conv(&self) -> Option<&Conversation> {
        self.convs.get(&self.current)
    }

    /// The current room's name, if the current conversation is a room.
    pub fn current_room(&self) -> Option<&str> {
        match &self.current {
            ConvRef::Room(r) => Some(r),
            ConvRef::Dm(_) => None,
        }
    }

    /// Members of a room: the loaded list, else the room list's count.
    pub fn member_count(&self, room: &str) -> Option<usize> {
        self.members.get(room).map(Vec::len).or_else(|| {
            self.directory
                .iter()
                .find(|r| r.name == room)
                .map(|r| r.members as usize)
        })
    }

    /// May this user kick and promote in the current room?
    pub fn can_moderate(&self) -> bool {
        self.current_conv()
            .and_then(|c| c.role)
            .is_some_and(|r| r != Role::Member)
    }

    /// Shows `conv`: marks it read here and returns what to ask the engine (mark read on the
    /// coordinator, load history if little is loaded, the member list of a room).
    pub fn switch(&mut self, conv: ConvRef) -> Vec<Command> {
        self.current = conv.clone();
        let c = self.convs.entry(conv.clone()).or_default();
        let mut commands = Vec::new();
        if c.last_seq > 0 {
            commands.push(Command::MarkRead {
                conv: conv.clone(),
                seq: c.last_seq,
            });
        }
        c.read_seq = c.read_seq.max(c.last_seq);
        if c.messages.len() < HISTORY_PAGE as usize && !c.history_done && !c.history_asked {
            c.history_asked = true;
            commands.push(Command::History {
                conv: conv.clone(),
                before: c.oldest(),
                limit: HISTORY_PAGE,
            });
        }
        if let ConvRef::Room(room) = conv {
            commands.push(Command::Members(room));
        }
        commands
    }

    /// The request for the page before the oldest loaded message of the current
    /// conversation, unless everything is loaded or a request is under way.
    pub fn older(&mut self) -> Option<Command> {
        let c = self.convs.get_mut(&self.current)?;
        if c.history_done || c.history_asked || c.oldest() == Some(1) {
            return None;
        }
        c.history_asked = true;
        Some(Command::History {
            conv: self.current.clone(),
            before: c.oldest(),
            limit: HISTORY_PAGE,
        })
    }

    /// Notes a message typed here (shown as "sending…" until it comes back).
    pub fn sending(&mut self, conv: &ConvRef, id: MsgId, text: &str) {
        let c = self.convs.entry(conv.clone()).or_default();
        c.pending.push(Pending {
            id,
            text: text.to_string(),
        });
    }

    /// The UI gave up waiting for discovery (the login window shows the choices).
    pub fn discovery_timed_out(&mut self) {
        if self.phase == Phase::Discovering {
            self.phase = Phase::NotFound;
        }
    }

    /// The person chose to retry or to host: back to looking.
    pub fn rediscover(&mut self) {
        if matches!(self.phase, Phase::NotFound | Phase::Discovering) {
            self.phase = Phase::Discovering;
        }
    }

    /// An answered offer leaves the list of questions.
    pub fn answered(&mut self, offer: u64) {
        self.offers.retain(|o| o.id != offer);
    }

    /// The login window's status line.
    pub fn status_line(&self) -> String {
        if let Some(down) = &self.connection {
            return down.clone();
        }
        match (&self.phase, &self.coordinator) {
            (Phase::NotFound, _) => "No coordinator answered on this network.".into(),
            (Phase::FingerprintChanged { name, .. }, _) => {
                format!("Coordinator '{name}' presents a different identity.")
            }
            (Phase::Discovering, _) | (_, None) => "Looking for a coordinator…".into(),
            (_, Some(c)) => {
                let mut line = format!(
                    "Coordinator '{}' at {}\nfingerprint {}",
                    c.name, c.addr, c.fingerprint
                );
                if c.first_use {
                    line.push_str(
                        "  (first contact: compare it with your administrator's; logging in trusts it)",
                    );
                }
                line
            }
        }
    }
}

#[cfg(test)]
mod tests;
