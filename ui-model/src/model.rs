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
mod apply;
mod conversation;
mod login;
mod transfer;

use std::collections::{BTreeMap, HashMap};

use lanchat_client::Command;
use lanchat_net::protocol::{
    ChatMessage, ConvRef, FileOffer, MemberInfo, MsgId, Role, RoomInfo, UserInfo,
};

pub use apply::{apply, plain_words};
pub use conversation::{Conversation, Pending};
pub use login::{CoordinatorInfo, Phase};
pub use transfer::{Transfer, TransferState};

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
    /// message or a mention of this user, not their own, not in a muted conversation. Whether
    /// the window is in the background is the widgets' to add.
    pub fn wants_attention(&self, message: &ChatMessage) -> bool {
        let Some(me) = self.username() else {
            return false;
        };
        let muted = self.convs.get(&message.conv).is_some_and(|c| c.muted);
        let mine = message.sender.eq_ignore_ascii_case(me);
        let direct = matches!(message.conv, ConvRef::Dm(_));
        let mention = message
            .text
            .to_lowercase()
            .contains(&format!("@{}", me.to_lowercase()));
        !muted && !mine && (direct || mention)
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
