//! What passes between people besides messages: typing indicators, read receipts in direct
//! conversations, and each user's settings for them. None of it is stored as a message; a
//! typing notice is not stored at all.
//!
//! Both are optional per user and mutual: someone who turns typing indicators off is not
//! shown as typing and is not told who types; someone who turns read receipts off does not
//! tell how far they read and is not told either.
//!
//! Bounded: a client sends a typing notice at most every [`TYPING_INTERVAL_MS`]; whatever it
//! sends, the hub passes on at most one per user and conversation every [`TYPING_GAP_MS`],
//! and at most [`TYPING_PER_SECOND`] per user over all conversations (a modified client
//! sending a thousand a second makes others hear a few).
use lanchat_net::protocol::{
    ConvRef, Event, Reply, ServerFrame, Setting, TYPING_EXPIRY_MS, TYPING_INTERVAL_MS,
};
use lanchat_store as store;
use lanchat_store::{ConvId, ConvKind, Reads as _, UserId};

use super::convert::settings_out;
use super::{encode, Hub, Refusal};
use crate::outbox::Urgency;
use crate::throttle::TokenBucket;

/// Least time between two typing notices of one user in one conversation that are passed on
/// (a little under what an honest client waits, so none of its notices is lost to jitter).
pub const TYPING_GAP_MS: i64 = TYPING_INTERVAL_MS as i64 * 2 / 3;
/// Most typing notices of one user passed on per second, all conversations together.
pub const TYPING_PER_SECOND: u32 = 3;
/// Above this many remembered (user, conversation) pairs, the stale ones are forgotten.
const TYPING_REMEMBERED: usize = 4096;

/// The hub's memory of typing notices.
#[derive(Debug, Default)]
pub(super) struct Typing {
    /// When each (user, conversation) last had a notice passed on.
    last: std::collections::HashMap<(UserId, ConvId), i64>,
    /// Each user's allowance over all conversations.
    budget: std::collections::HashMap<UserId, TokenBucket>,
}

impl Typing {
    /// Whether a notice of `user` in `conv` at `now_ms` is passed on (and remembered).
    fn admit(&mut self, user: UserId, conv: ConvId, now_ms: i64) -> bool {
        if self
            .last
            .get(&(user, conv))
            .is_some_and(|t| now_ms.saturating_sub(*t) < TYPING_GAP_MS)
        {
            return false;
        }
        let budget = self.budget.entry(user).or_insert_with(|| {
            TokenBucket::new(f64::from(TYPING_PER_SECOND), f64::from(TYPING_PER_SECOND))
        });
        if !budget.take(now_ms) {
            return false;
        }
        if self.last.len() >= TYPING_REMEMBERED {
            let expiry = TYPING_EXPIRY_MS as i64;
            self.last.retain(|_, t| now_ms.saturating_sub(*t) < expiry);
        }
        self.last.insert((user, conv), now_ms);
        true
    }

    /// Forgets a user who went offline.
    pub(super) fn forget(&mut self, user: UserId) {
        self.last.retain(|(u, _), _| *u != user);
        self.budget.remove(&user);
    }
}

impl Hub {
    /// A user's settings: from the cache while they are online, else from the store.
    pub(super) fn settings_of(&self, user: UserId) -> Result<store::Settings, Refusal> {
        match self.settings.get(&user) {
            Some(s) => Ok(*s),
            None => Ok(self.store.settings(user)?),
        }
    }

    /// `me` types in `conv`: the other members who want to know are told (see the module
    /// documentation for what is passed on). Always answered Ok: a notice dropped is not
    /// the sender's business.
    pub(super) fn typing(
        &mut self,
        me: UserId,
        conv: &ConvRef,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        if !self.settings_of(me)?.typing {
            return Ok(Reply::Ok);
        }
        // Never makes a conversation (a DM nobody wrote in has nobody to tell).
        let c = match conv {
            ConvRef::Room(name) => self.visible_room(me, name)?,
            ConvRef::Dm(user) => {
                let Some((peer, _)) = self.store.user_by_name(user)? else {
                    return Err(super::no_such_user(user));
                };
                match self.store.dm_between(me, peer.id)? {
                    Some(c) => c,
                    None => return Ok(Reply::Ok),
                }
            }
        };
        if self.store.membership(c.id, me)?.is_none() {
            return Err(super::convert::not_member(&c.name));
        }
        if !self.typing.admit(me, c.id, now_ms) {
            return Ok(Reply::Ok);
        }
        let who = self.username(me)?;
        let listeners: Vec<UserId> = self
            .store
            .member_ids(c.id)?
            .into_iter()
            .filter(|u| *u != me && self.by_user.contains_key(u))
            .filter(|u| self.settings.get(u).is_none_or(|s| s.typing))
            .collect();
        match c.kind {
            ConvKind::Room => {
                let frame = ServerFrame::Event(Event::Typing {
                    conv: ConvRef::Room(c.name.clone()),
                    user: who,
                });
                if let Some(frame) = encode(&frame) {
                    for u in listeners {
                        self.push_encoded(u, &frame, Urgency::Bulk);
                    }
                }
            }
            ConvKind::Dm => {
                for u in listeners {
                    let frame = ServerFrame::Event(Event::Typing {
                        conv: ConvRef::Dm(who.clone()),
                        user: who.clone(),
                    });
                    self.push(u, frame);
                }
            }
        }
        Ok(Reply::Ok)
    }

    /// `me` moved their read cursor in `c` from `before` to `after`: in a direct
    /// conversation the other person is told, when both have read receipts on.
    pub(super) fn read_moved(
        &mut self,
        me: UserId,
        c: &store::Conversation,
        before: u64,
        after: u64,
    ) -> Result<(), Refusal> {
        if c.kind != ConvKind::Dm || after <= before || !self.settings_of(me)?.receipts {
            return Ok(());
        }
        let Some(peer) = self.store.member_ids(c.id)?.into_iter().find(|u| *u != me) else {
            return Ok(());
        };
        if !self.by_user.contains_key(&peer) || !self.settings_of(peer)?.receipts {
            return Ok(());
        }
        let who = self.username(me)?;
        self.push(
            peer,
            ServerFrame::Event(Event::Seen {
                conv: ConvRef::Dm(who.clone()),
                user: who,
                seq: after,
            }),
        );
        Ok(())
    }

    /// `me` turns one of their settings on or off; all their sessions hear it.
    pub(super) fn set_setting(
        &mut self,
        me: UserId,
        setting: Setting,
        on: bool,
    ) -> Result<Reply, Refusal> {
        let mut settings = self.settings_of(me)?;
        match setting {
            Setting::Typing => settings.typing = on,
            Setting::Receipts => settings.receipts = on,
        }
        self.store.set_settings(me, settings)?;
        if self.by_user.contains_key(&me) {
            self.settings.insert(me, settings);
        }
        self.push(
            me,
            ServerFrame::Event(Event::Settings(settings_out(settings))),
        );
        Ok(Reply::Ok)
    }

    /// The settings of a user who just logged in, kept while they are online.
    pub(super) fn remember_settings(&mut self, user: UserId) -> Result<store::Settings, Refusal> {
        let settings = self.store.settings(user)?;
        self.settings.insert(user, settings);
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_notices_a_second_pass_on_a_few() {
        let mut t = Typing::default();
        let start = 1_700_000_000_000;
        let passed = (0..10_000)
            .filter(|i| t.admit(1, 7, start + i / 1000 * 1000 + i % 1000))
            .count();
        // Ten seconds of one conversation: one every TYPING_GAP_MS at most.
        assert!(passed <= 10_000 / TYPING_GAP_MS as usize + 1, "{passed}");
        // Over many conversations at once: the per-user allowance.
        let mut t = Typing::default();
        let passed = (0..1000).filter(|c| t.admit(1, *c, start)).count();
        assert_eq!(passed, TYPING_PER_SECOND as usize);
    }

    #[test]
    fn the_memory_of_notices_is_bounded() {
        let mut t = Typing::default();
        let start = 1_700_000_000_000;
        for i in 0..20_000i64 {
            t.admit(i, 1, start + i * 10_000);
        }
        assert!(t.last.len() <= TYPING_REMEMBERED);
    }
}
