//! One conversation as the windows know it: read state, loaded messages, what is being sent,
//! who is typing.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lanchat_net::protocol::{
    ChatMessage, ConvRef, ConvSummary, MsgId, Role, MAX_QUOTE_CHARS, TYPING_EXPIRY_MS,
};

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
    /// Messages not read yet: the coordinator's count at login, plus those that came since.
    pub unread_count: u64,
    /// A private (invite-only) room.
    pub private: bool,
    /// An archived (read-only) room.
    pub archived: bool,
    /// In a direct conversation with read receipts: how far the other person has read.
    pub peer_read: Option<u64>,
    /// Who is typing here, and when they were last heard to.
    pub typing: Vec<(String, Instant)>,
    /// Counts changes that alter how loaded messages look without adding one (an edit, a
    /// reaction, someone typing, "seen"), so the widgets know to redraw.
    pub revision: u64,
    /// Messages by seq (so history and live messages merge without duplicates).
    pub messages: BTreeMap<u64, ChatMessage>,
    /// Sent, not yet stored.
    pub pending: Vec<Pending>,
    /// The coordinator has nothing older than what is loaded.
    pub history_done: bool,
    /// A history request is under way (do not ask twice).
    pub history_asked: bool,
    /// Where the "new messages" line goes: after this seq (set when the conversation is
    /// opened with unread messages, gone when another one is opened).
    pub divider: Option<u64>,
    /// Mentions of this user not read yet, by name or `@room`, as the coordinator recognised
    /// them (the list sorts these first; counted in muted conversations too).
    pub mentions: u64,
    /// A direct conversation the person closed: out of the list until a message arrives.
    pub hidden: bool,
}

impl Conversation {
    pub(super) fn from_summary(s: &ConvSummary) -> Self {
        let mut c = Conversation::default();
        c.update(s);
        c
    }

    pub(super) fn update(&mut self, s: &ConvSummary) {
        self.topic = s.topic.clone();
        self.last_seq = self.last_seq.max(s.last_seq);
        self.read_seq = s.read_seq;
        self.muted = s.muted;
        self.role = matches!(s.conv, ConvRef::Room(_)).then_some(s.role);
        self.unread_count = s.unread;
        self.mentions = s.mentions;
        self.private = s.private;
        self.archived = s.archived;
        self.peer_read = s.peer_read;
    }

    /// Messages not read yet (changes to earlier ones do not count).
    pub fn unread(&self) -> u64 {
        self.unread_count
    }

    /// Everything here is read.
    pub(super) fn all_read(&mut self) {
        self.read_seq = self.read_seq.max(self.last_seq);
        self.unread_count = 0;
        self.mentions = 0;
    }

    /// Who types here at `now` (a notice lasts [`TYPING_EXPIRY_MS`]).
    pub fn typing_at(&self, now: Instant) -> Vec<&str> {
        let expiry = Duration::from_millis(TYPING_EXPIRY_MS);
        self.typing
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(*at) < expiry)
            .map(|(user, _)| user.as_str())
            .collect()
    }

    /// Forgets typing notices older than [`TYPING_EXPIRY_MS`]; true if any went.
    pub(super) fn expire_typing(&mut self, now: Instant) -> bool {
        let expiry = Duration::from_millis(TYPING_EXPIRY_MS);
        let before = self.typing.len();
        self.typing
            .retain(|(_, at)| now.saturating_duration_since(*at) < expiry);
        let changed = self.typing.len() != before;
        self.revision += u64::from(changed);
        changed
    }

    /// Applies a change entry (an edit, deletion or reaction) to the message it changes, if
    /// that one is loaded, and to the quotes of it in loaded replies.
    pub(super) fn changed(&mut self, entry: &ChatMessage) {
        let Some(change) = &entry.change else {
            return;
        };
        self.revision += 1;
        self.last_seq = self.last_seq.max(entry.seq);
        if let Some(m) = self.messages.get_mut(&change.target) {
            m.text = entry.text.clone();
            m.edited = entry.edited;
            m.deleted = entry.deleted;
            m.reactions = entry.reactions.clone();
            m.mentions = entry.mentions.clone();
            m.mentions_room = entry.mentions_room;
            if entry.deleted {
                m.file = None;
            }
        }
        for m in self.messages.values_mut() {
            if let Some(q) = m.reply_to.as_mut().filter(|q| q.seq == change.target) {
                q.deleted = entry.deleted;
                q.text = entry.text.chars().take(MAX_QUOTE_CHARS).collect();
                if entry.deleted {
                    q.text.clear();
                }
            }
        }
    }

    /// The oldest loaded seq.
    pub fn oldest(&self) -> Option<u64> {
        self.messages.keys().next().copied()
    }
}
