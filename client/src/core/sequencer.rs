//! Delivers each conversation's messages to the front end in order, exactly once.
//!
//! Messages reach the engine from two sources that overlap: live pushes and catch-up pages
//! (after a login or reconnect, or to fill a gap). The sequencer remembers, per conversation,
//! the highest seq handed out; anything at or below it is a duplicate, anything beyond the next
//! one waits while the gap is fetched. It does no I/O: it says what to emit and what to fetch.
use std::collections::{BTreeMap, HashMap};

use lanchat_net::protocol::{ChatMessage, ConvRef};

/// What the engine should do after feeding the sequencer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Messages to hand to the front end, in order.
    pub deliver: Vec<ChatMessage>,
    /// Ask the coordinator for messages after this seq in that conversation.
    pub fetch: Option<(ConvRef, u64)>,
}

#[derive(Debug, Default)]
struct Conv {
    delivered: u64,
    waiting: BTreeMap<u64, ChatMessage>,
    fetching: bool,
}

/// Per-conversation ordering state.
#[derive(Debug, Default)]
pub struct Sequencer {
    convs: HashMap<ConvRef, Conv>,
}

impl Sequencer {
    /// Highest seq delivered in `conv`, if the conversation is known.
    pub fn delivered(&self, conv: &ConvRef) -> Option<u64> {
        self.convs.get(conv).map(|c| c.delivered)
    }

    /// Learns a conversation's state from the coordinator (login, join). `read_seq` is where
    /// delivery starts for a conversation seen for the first time; `last_seq` says whether
    /// anything is missing. Returns the catch-up to fetch, if any.
    pub fn learn(
        &mut self,
        conv: &ConvRef,
        read_seq: u64,
        last_seq: u64,
    ) -> Option<(ConvRef, u64)> {
        let state = self.convs.entry(conv.clone()).or_insert_with(|| Conv {
            delivered: read_seq,
            ..Conv::default()
        });
        // After a reconnect the coordinator's state may be behind what the front end has seen
        // only if the coordinator lost data; never go backwards.
        if last_seq > state.delivered && !state.fetching {
            state.fetching = true;
            return Some((conv.clone(), state.delivered));
        }
        None
    }

    /// Forgets a conversation (a room left or deleted): if one of that name comes back, it is
    /// a new sequence.
    pub fn forget(&mut self, conv: &ConvRef) {
        self.convs.remove(conv);
    }

    /// Keeps only the conversations `keep` accepts (at login: those the user is still in).
    pub fn retain(&mut self, mut keep: impl FnMut(&ConvRef) -> bool) {
        self.convs.retain(|conv, _| keep(conv));
    }

    /// Forgets in-flight fetches (the connection they were sent on is gone).
    pub fn connection_lost(&mut self) {
        for state in self.convs.values_mut() {
            state.fetching = false;
        }
    }

    /// A live message.
    pub fn live(&mut self, msg: ChatMessage) -> Step {
        let conv = msg.conv.clone();
        // A conversation first seen through a live message (someone wrote to us, or we just
        // joined) starts at that message; earlier history is scrollback.
        let state = self.convs.entry(conv.clone()).or_insert_with(|| Conv {
            delivered: msg.seq.saturating_sub(1),
            ..Conv::default()
        });
        if msg.seq > state.delivered {
            state.waiting.insert(msg.seq, msg);
        }
        self.drain(&conv)
    }

    /// A page of catch-up (oldest first). `full` means the page hit its limit, so more may
    /// follow.
    pub fn page(&mut self, conv: &ConvRef, messages: Vec<ChatMessage>, full: bool) -> Step {
        let state = self.convs.entry(conv.clone()).or_default();
        state.fetching = false;
        for msg in messages {
            if msg.seq > state.delivered {
                state.waiting.insert(msg.seq, msg);
            }
        }
        let mut step = self.drain(conv);
        if full && step.fetch.is_none() {
            if let Some(state) = self.convs.get_mut(conv) {
                state.fetching = true;
                step.fetch = Some((conv.clone(), state.delivered));
            }
        }
        step
    }

    fn drain(&mut self, conv: &ConvRef) -> Step {
        let mut step = Step::default();
        let Some(state) = self.convs.get_mut(conv) else {
            return step;
        };
        while let Some(entry) = state.waiting.first_entry() {
            let seq = *entry.key();
            if seq <= state.delivered {
                entry.remove();
            } else if seq == state.delivered + 1 {
                step.deliver.push(entry.remove());
                state.delivered = seq;
            } else {
                break;
            }
        }
        if !state.waiting.is_empty() && !state.fetching {
            state.fetching = true;
            step.fetch = Some((conv.clone(), state.delivered));
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::protocol::MsgId;

    fn room() -> ConvRef {
        ConvRef::Room("general".into())
    }

    fn m(seq: u64) -> ChatMessage {
        ChatMessage {
            id: MsgId([seq as u8; 16]),
            sender_display: "A".into(),
            ..ChatMessage::plain(room(), seq, "a", &format!("m{seq}"))
        }
    }

    fn seqs(step: &Step) -> Vec<u64> {
        step.deliver.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn in_order_live_messages_pass_through_once() {
        let mut s = Sequencer::default();
        assert_eq!(s.learn(&room(), 0, 0), None);
        assert_eq!(seqs(&s.live(m(1))), [1]);
        assert_eq!(seqs(&s.live(m(2))), [2]);
        assert_eq!(seqs(&s.live(m(2))), Vec::<u64>::new(), "duplicate dropped");
        assert_eq!(s.delivered(&room()), Some(2));
    }

    #[test]
    fn a_gap_is_fetched_and_filled_in_order() {
        let mut s = Sequencer::default();
        s.learn(&room(), 3, 3);
        let step = s.live(m(6));
        assert!(step.deliver.is_empty());
        assert_eq!(step.fetch, Some((room(), 3)));
        // A second early message does not ask again while the fetch is in flight.
        assert_eq!(s.live(m(7)).fetch, None);
        let step = s.page(&room(), vec![m(4), m(5), m(6)], false);
        assert_eq!(seqs(&step), [4, 5, 6, 7]);
        assert_eq!(step.fetch, None);
    }

    #[test]
    fn reconnect_catch_up_overlapping_live_pushes_has_no_duplicates() {
        let mut s = Sequencer::default();
        s.learn(&room(), 0, 2);
        let step = s.page(&room(), vec![m(1), m(2)], false);
        assert_eq!(seqs(&step), [1, 2]);
        s.connection_lost();
        // After reconnect the coordinator says 5 exist; a live 5 arrives before the page.
        assert_eq!(s.learn(&room(), 1, 5), Some((room(), 2)));
        assert!(s.live(m(5)).deliver.is_empty());
        let step = s.page(&room(), vec![m(3), m(4), m(5)], false);
        assert_eq!(seqs(&step), [3, 4, 5]);
    }

    #[test]
    fn full_pages_ask_for_the_next() {
        let mut s = Sequencer::default();
        assert_eq!(s.learn(&room(), 0, 4), Some((room(), 0)));
        let step = s.page(&room(), vec![m(1), m(2)], true);
        assert_eq!(seqs(&step), [1, 2]);
        assert_eq!(step.fetch, Some((room(), 2)));
        let step = s.page(&room(), vec![m(3), m(4)], false);
        assert_eq!(seqs(&step), [3, 4]);
        assert_eq!(step.fetch, None);
    }

    /// A room deleted and made again under its name is a new sequence: its first messages are
    /// not taken for ones delivered before.
    #[test]
    fn a_forgotten_conversation_starts_again() {
        let mut s = Sequencer::default();
        s.learn(&room(), 0, 0);
        assert_eq!(seqs(&s.live(m(1))), [1]);
        s.forget(&room());
        assert_eq!(s.delivered(&room()), None);
        assert_eq!(s.learn(&room(), 0, 1), Some((room(), 0)));
        assert_eq!(seqs(&s.page(&room(), vec![m(1)], false)), [1]);
        s.retain(|c| *c != room());
        assert_eq!(s.delivered(&room()), None);
    }

    #[test]
    fn unknown_conversation_starts_at_first_live_message() {
        let mut s = Sequencer::default();
        let dm = ConvRef::Dm("bob".into());
        let mut msg = m(41);
        msg.conv = dm.clone();
        assert_eq!(seqs(&s.live(msg)), [41]);
        // Joining later reports an older read cursor: nothing is re-delivered.
        assert_eq!(s.learn(&dm, 10, 41), None);
    }
}
