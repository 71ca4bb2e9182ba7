//! The view model: everything the windows show, updated by [`apply`] from engine events.
//!
//! Pure data, no widgets: the fltk side only renders a [`Model`] and turns clicks into
//! [`Command`]s, so every rule here (unread counts, presence, kicks, succession, transfers) is
//! unit-tested without a display. Methods that answer a user action (switching conversation,
//! asking for older history) return the engine commands to send instead of sending them.
//!
//! # Layout
//! - this file: [`Model`] and the answers to user actions.
//! - `apply`: [`apply`], an engine event into the model.
//! - `login`, `conversation`, `transfer`: the parts of the model, by what they describe.
//! - `notice`: transient notices and the connection state.
//! - `trust`: first contacts to approve and a changed key to decide on.
mod apply;
mod conversation;
mod login;
mod notice;
mod transfer;
mod trust;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use lanchat_client::Command;
use lanchat_net::protocol::{
    ChatMessage, ConvRef, FileOffer, MemberInfo, MsgId, PresenceStatus, Role, RoomInfo, Settings,
    UserInfo,
};

pub use apply::{apply, apply_at, plain_words};
pub use conversation::{Conversation, Pending};
pub use login::{CoordinatorInfo, Phase};
pub use notice::{Down, Notice, MAX_NOTICES, NOTICE_SECONDS};
pub use transfer::{Transfer, TransferState};
pub use trust::{KeyChange, Unknown, MAX_UNKNOWN};

/// Answered offers kept in the conversations' record.
pub const MAX_OFFER_LOG: usize = 50;
/// Offers waiting for an answer at most (the coordinator bounds them too).
pub const MAX_OFFERS: usize = 50;

/// How many messages one history request asks for.
pub const HISTORY_PAGE: u32 = 50;

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
    pub connection: Option<Down>,
    /// Coordinators that answered and were never used here, for the person to approve.
    pub unknown: Vec<Unknown>,
    /// A pinned coordinator's name came with another key: the person must decide.
    pub key_changed: Option<KeyChange>,
    /// This user.
    pub me: Option<UserInfo>,
    /// This user's privacy settings, as the coordinator keeps them (typing indicators, read
    /// receipts); not the GUI's own [`crate::settings::Settings`].
    pub privacy: Settings,
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
    /// Incoming file offers waiting for an answer (shown as cards in the direct
    /// conversation with the sender).
    pub offers: Vec<FileOffer>,
    /// Offers answered or withdrawn, newest last, with what became of them (kept in the
    /// direct conversation's record).
    pub offer_log: Vec<(FileOffer, String)>,
    /// Transfers, oldest first.
    pub transfers: Vec<Transfer>,
    /// Errors and notices for the status bar, oldest first; each clears by itself.
    pub notices: Vec<Notice>,
    /// The id of the next notice.
    pub next_notice: u64,
    /// The sidebar filter (case-insensitive; empty: everything).
    pub filter: String,
    /// Where the person asked to go from a search result: conversation and seq.
    pub jump: Option<(ConvRef, u64)>,
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
            unknown: Vec::new(),
            key_changed: None,
            me: None,
            privacy: Settings::default(),
            convs: BTreeMap::new(),
            current: general(),
            people: BTreeMap::new(),
            directory: Vec::new(),
            members: HashMap::new(),
            offers: Vec::new(),
            offer_log: Vec::new(),
            transfers: Vec::new(),
            notices: Vec::new(),
            next_notice: 1,
            filter: String::new(),
            jump: None,
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

/// Does `text` mention `@username` (case-insensitive, as a whole name)?
pub fn mentions(text: &str, username: &str) -> bool {
    mention_ranges(text, username).next().is_some()
}

/// The byte ranges of `@username` in `text` (case-insensitive, not followed by more name).
pub fn mention_ranges<'a>(
    text: &'a str,
    username: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let needle = format!("@{}", username.to_lowercase());
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII: only trust matching positions.
    let same_layout = lower.len() == text.len();
    let mut found = Vec::new();
    if same_layout && !username.is_empty() {
        let mut from = 0;
        while let Some(at) = lower[from..].find(&needle) {
            let start = from + at;
            let end = start + needle.len();
            let whole = lower[end..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'));
            if whole {
                found.push((start, end));
            }
            from = end;
        }
    }
    found.into_iter()
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

    /// Whether a message just received calls for the person's attention (a beep): a direct
    /// message in a conversation that is not muted, or a mention of this user (by name or
    /// `@room`, as the coordinator recognised it) even in a muted one; never their own.
    /// Whether the window is in the background is the widgets' to add.
    pub fn wants_attention(&self, message: &ChatMessage) -> bool {
        let Some(me) = self.username() else {
            return false;
        };
        let muted = self.convs.get(&message.conv).is_some_and(|c| c.muted);
        let mine = message.sender.eq_ignore_ascii_case(me);
        let direct = matches!(message.conv, ConvRef::Dm(_));
        !mine && ((direct && !muted) || message.mentions_user(me))
    }

    /// Whether `message` mentions this user (the GUI highlights it).
    pub fn mentions_me(&self, message: &ChatMessage) -> bool {
        self.username().is_some_and(|me| message.mentions_user(me))
    }

    /// May this user make the current room private or public, archive or delete it?
    pub fn owns_room(&self) -> bool {
        self.current_room().is_some_and(|r| r != "general")
            && self
                .current_conv()
                .and_then(|c| c.role)
                .is_some_and(|r| r == Role::Owner)
    }

    /// Forgets typing notices that expired by `now`; true if the screen must change.
    pub fn expire_typing(&mut self, now: Instant) -> bool {
        let mut changed = false;
        for c in self.convs.values_mut() {
            changed |= c.expire_typing(now);
        }
        changed
    }

    /// The command a typed message becomes: `reply_to` answers that message, `edit` replaces
    /// one's own (and the text is then shown as the new text, not as a new message).
    pub fn post(&mut self, text: &str, reply_to: Option<u64>, edit: Option<u64>) -> Command {
        let conv = self.current.clone();
        let id = MsgId::random();
        let text = text.to_string();
        match (edit, reply_to) {
            (Some(target), _) => Command::Edit {
                conv,
                target: Some(target),
                text,
                id,
            },
            (None, Some(to)) => {
                self.sending(&conv, id, &text);
                Command::Reply { conv, to, text, id }
            }
            (None, None) => {
                self.sending(&conv, id, &text);
                Command::Send { conv, text, id }
            }
        }
    }

    /// Whether message `seq` of the current conversation is this user's own text (they may
    /// edit it).
    pub fn is_mine(&self, seq: u64) -> bool {
        let me = self.username();
        self.current_conv()
            .and_then(|c| c.messages.get(&seq))
            .is_some_and(|m| {
                m.kind == lanchat_net::protocol::MessageKind::Text
                    && !m.deleted
                    && me.is_some_and(|me| m.sender.eq_ignore_ascii_case(me))
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
        if self.current != conv {
            if let Some(old) = self.convs.get_mut(&self.current) {
                old.divider = None;
            }
        }
        self.current = conv.clone();
        let c = self.convs.entry(conv.clone()).or_default();
        // "New messages" below what was read before this visit.
        if c.read_seq < c.last_seq && c.divider.is_none() {
            c.divider = Some(c.read_seq);
        }
        c.hidden = false;
        c.mentions = 0;
        let mut commands = Vec::new();
        if c.last_seq > 0 {
            commands.push(Command::MarkRead {
                conv: conv.clone(),
                seq: c.last_seq,
            });
        }
        c.all_read();
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

    /// The UI gave up waiting for discovery (the login window shows the choices). A first
    /// contact waiting for approval is an answer: the person sees it instead.
    pub fn discovery_timed_out(&mut self) {
        if self.phase == Phase::Discovering && self.unknown.is_empty() {
            self.phase = Phase::NotFound;
        }
    }

    /// The person chose to retry or to host: back to looking.
    pub fn rediscover(&mut self) {
        if matches!(self.phase, Phase::NotFound | Phase::Discovering) {
            self.phase = Phase::Discovering;
        }
    }

    /// A finished or failed transfer leaves the panel (a running one stays).
    pub fn dismiss(&mut self, key: lanchat_client::TransferKey) {
        self.transfers.retain(|t| t.key != key || t.active());
    }

    /// An answered offer leaves the list of questions and is recorded with its outcome.
    pub fn answered(&mut self, offer: u64, outcome: &str) {
        if let Some(i) = self.offers.iter().position(|o| o.id == offer) {
            let o = self.offers.remove(i);
            self.offer_log.push((o, outcome.to_string()));
            if self.offer_log.len() > MAX_OFFER_LOG {
                self.offer_log.remove(0);
            }
        }
    }

    /// The answer to an offer card in a conversation: what to ask the engine.
    pub fn answer_offer(&mut self, offer: u64, dir: Option<std::path::PathBuf>) -> Option<Command> {
        self.offers.iter().find(|o| o.id == offer)?;
        Some(match dir {
            Some(dir) => {
                self.answered(offer, &format!("accepted, saving in {}", dir.display()));
                Command::AcceptOffer { id: offer, dir }
            }
            None => {
                self.answered(offer, "denied");
                Command::DenyOffer(offer)
            }
        })
    }

    /// Adds a notice that clears by itself; returns its id (for the widgets' timer).
    pub fn notify(&mut self, text: impl Into<String>, error: bool) -> u64 {
        let id = self.next_notice;
        self.next_notice += 1;
        self.notices.push(Notice {
            id,
            text: text.into(),
            error,
        });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
        id
    }

    /// The notice's time is up.
    pub fn expire_notice(&mut self, id: u64) {
        self.notices.retain(|n| n.id != id);
    }

    /// A person's display name as known now (the same everywhere: live, history, lists),
    /// else `fallback` (what a message carried), else the username.
    pub fn display_of(&self, username: &str, fallback: Option<&str>) -> String {
        match self.people.get(&username.to_lowercase()) {
            Some(u) if !u.display.is_empty() => u.display.clone(),
            _ => fallback
                .filter(|f| !f.is_empty())
                .unwrap_or(username)
                .to_string(),
        }
    }

    /// A person as the GUI names them: the current display name, with the username
    /// whenever it differs ([`crate::format::person`]: nobody can take another's username,
    /// so a look-alike display name never passes for someone else).
    pub fn display_name(&self, username: &str, fallback: Option<&str>) -> String {
        crate::format::person(username, &self.display_of(username, fallback))
    }

    /// What is known of a person's presence: `None` while disconnected (nothing is known
    /// then, so nobody is shown as online).
    pub fn presence(&self, username: &str) -> Option<PresenceStatus> {
        if self.connection.is_some() {
            return None;
        }
        Some(
            self.people
                .get(&username.to_lowercase())
                .map_or(PresenceStatus::Offline, |u| u.status),
        )
    }

    /// Hides a direct conversation from the list until a new message arrives in it (rooms
    /// are left instead). Returns false for a room.
    pub fn close(&mut self, conv: &ConvRef) -> bool {
        let ConvRef::Dm(_) = conv else {
            return false;
        };
        if let Some(c) = self.convs.get_mut(conv) {
            c.hidden = true;
            c.divider = None;
        }
        if &self.current == conv {
            self.current = general();
        }
        true
    }

    /// Jumps to a search result: shows its conversation and marks the message to scroll to.
    pub fn jump_to(&mut self, conv: ConvRef, seq: u64) -> Vec<Command> {
        let mut commands = self.switch(conv.clone());
        let c = self.convs.entry(conv.clone()).or_default();
        if !c.messages.contains_key(&seq) && !c.history_asked {
            // Load the page that holds it.
            c.history_asked = true;
            commands.push(Command::History {
                conv: conv.clone(),
                before: Some(seq + 1),
                limit: HISTORY_PAGE,
            });
        }
        self.jump = Some((conv, seq));
        commands
    }

    /// The login window's status line.
    pub fn status_line(&self) -> String {
        if let Some(down) = &self.connection {
            return format!("Connection lost ({}); trying again.", down.reason);
        }
        match (&self.phase, &self.coordinator) {
            (Phase::NotFound, _) => "No coordinator answered on this network.".into(),
            (Phase::FingerprintChanged { name, .. }, _) => {
                format!("Coordinator '{name}' presents a different identity.")
            }
            (Phase::Discovering, _) if !self.unknown.is_empty() => {
                "A coordinator answered that this computer has never used (below).".into()
            }
            (Phase::Discovering, _) | (_, None) => "Looking for a coordinator…".into(),
            (_, Some(c)) => {
                let mut line = format!(
                    "Coordinator '{}' at {}\nfingerprint {}",
                    c.name, c.addr, c.fingerprint
                );
                if c.first_use {
                    line.push_str("  (trusted now; remembered after the first login)");
                }
                line
            }
        }
    }
}

#[cfg(test)]
mod tests;
