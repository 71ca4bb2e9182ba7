//! A token bucket: how a rate is capped without punishing short bursts; and the [`Pacer`]
//! that holds each user's messages to their rate instead of refusing them.
//!
//! The time comes from the caller (milliseconds since the Unix epoch, as the hub gets it), so
//! a test decides how much time passes. A clock that steps back refills nothing until it
//! moves forward again; one that jumps ahead refills at most one burst.
use std::collections::HashMap;
use std::sync::Mutex;

use lanchat_store::UserId;

use crate::lock::lock;

/// Refills continuously at `rate` tokens per second up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    /// When tokens were last taken (none yet: the bucket is full).
    last_ms: Option<i64>,
}

impl TokenBucket {
    /// Sustained messages per second one session may post, by default.
    pub const MESSAGES_PER_SECOND: u32 = 20;
    /// Messages one session may post at once after being quiet (at the default rate).
    pub const MESSAGE_BURST: u32 = 3 * Self::MESSAGES_PER_SECOND;

    /// A full bucket.
    pub fn new(rate: f64, burst: f64) -> Self {
        TokenBucket {
            tokens: burst,
            burst,
            rate,
            last_ms: None,
        }
    }

    /// The bucket for chat messages at `per_second`, with bursts of three seconds' worth.
    pub fn for_messages(per_second: u32) -> Self {
        Self::new(
            f64::from(per_second),
            f64::from(per_second.saturating_mul(3)),
        )
    }

    /// Takes a token at time `now_ms` if there is one.
    pub fn take(&mut self, now_ms: i64) -> bool {
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes a token at time `now_ms` whether or not there is one, and says how long to wait
    /// before using it (0: now): the tokens not there yet are owed, and the next taker waits
    /// for them too, so every taker gets their turn in order at the bucket's rate.
    pub fn reserve(&mut self, now_ms: i64) -> u64 {
        self.refill(now_ms);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            0
        } else {
            (-self.tokens / self.rate * 1000.0).ceil() as u64
        }
    }

    fn refill(&mut self, now_ms: i64) {
        let elapsed_ms = self
            .last_ms
            .map_or(0, |last| now_ms.saturating_sub(last).max(0));
        self.last_ms = Some(now_ms);
        self.tokens = (self.tokens + elapsed_ms as f64 / 1000.0 * self.rate).min(self.burst);
    }
}

/// Paces each user's messages (and edits, deletions, reactions) to a rate, all their
/// sessions together, instead of refusing those over it.
///
/// Why: a refusal lost what the person typed (100 pasted lines: 60 stored, 40 refused with
/// an error line). Now a connection asks the pacer before it takes a message on and waits
/// its turn; while it waits it reads nothing more, so QUIC's flow control holds the client
/// back, order is kept and nothing is refused. The wait is bounded: a connection reserves
/// one message at a time, so a user's debt is at most one message per connection, and a
/// flood from ten sessions of one user is paced at one user's rate (they once posted 600
/// messages in 0.39 s).
///
/// Kept per user; bounded by the number of accounts that ever posted.
#[derive(Debug)]
pub struct Pacer {
    per_second: u32,
    buckets: Mutex<HashMap<UserId, TokenBucket>>,
}

impl Pacer {
    /// A pacer at `per_second` per user, with bursts of three seconds' worth.
    pub fn new(per_second: u32) -> Pacer {
        Pacer {
            per_second: per_second.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The rate it paces to.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// `user` wants to post at `now_ms`: how many milliseconds to wait before taking the
    /// message on (0: at once).
    pub fn reserve(&self, user: UserId, now_ms: i64) -> u64 {
        let rate = self.per_second;
        lock(&self.buckets)
            .entry(user)
            .or_insert_with(|| TokenBucket::for_messages(rate))
            .reserve(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 200 lines at once: the burst at once, the rest each in turn at the rate, none refused.
    #[test]
    fn a_paste_is_paced_not_refused() {
        let start = 1_700_000_000_000;
        let pacer = Pacer::new(20);
        let waits: Vec<u64> = (0..200).map(|_| pacer.reserve(1, start)).collect();
        let burst = TokenBucket::MESSAGE_BURST as usize;
        assert!(waits[..burst].iter().all(|w| *w == 0));
        assert_eq!(waits[burst], 50);
        assert_eq!(waits[199], (200 - burst as u64) * 50);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "in order");
        // Another user is not held up.
        assert_eq!(pacer.reserve(2, start), 0);
    }

    /// Ten sessions of one user share one pace: what they may post in a time does not grow
    /// with the number of sessions.
    #[test]
    fn sessions_of_one_user_share_one_pace() {
        let start = 1_700_000_000_000;
        let pacer = Pacer::new(20);
        let mut last = 0;
        for round in 0..60 {
            for _session in 0..10 {
                last = pacer.reserve(7, start + round);
            }
        }
        let burst = u64::from(TokenBucket::MESSAGE_BURST);
        // 600 messages: the burst, then 540 at 20 a second = 27 s, less the 60 ms elapsed.
        assert!(last >= (600 - burst) * 50 - 60, "{last}");
    }

    #[test]
    fn burst_then_refill() {
        let start = 1_700_000_000_000;
        let mut b = TokenBucket::new(10.0, 3.0);
        assert!(b.take(start) && b.take(start) && b.take(start));
        assert!(!b.take(start));
        assert!(b.take(start + 100));
        assert!(!b.take(start + 100));
    }
}
