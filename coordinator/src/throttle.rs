//! A token bucket: how a session's message rate is capped without punishing short bursts.
//!
//! The time comes from the caller (milliseconds since the Unix epoch, as the hub gets it), so
//! a test decides how much time passes. A clock that steps back refills nothing until it
//! moves forward again; one that jumps ahead refills at most one burst.

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
        let elapsed_ms = self
            .last_ms
            .map_or(0, |last| now_ms.saturating_sub(last).max(0));
        self.last_ms = Some(now_ms);
        self.tokens = (self.tokens + elapsed_ms as f64 / 1000.0 * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
