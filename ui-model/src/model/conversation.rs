//! One conversation as the windows know it: read state, loaded messages, what is being sent.
use std::collections::BTreeMap;

use lanchat_net::protocol::{ChatMessage, ConvRef, ConvSummary, MsgId, Role};

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
    /// Where the "new messages" line goes: after this seq (set when the conversation is
    /// opened with unread messages, gone when another one is opened).
    pub divider: Option<u64>,
    /// Mentions of this user not read yet (the list sorts these first).
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
