//! A token bucket: how a session's message rate is capped without punishing short bursts.
use std::time::Instant;

/// Refills continuously at `rate` tokens per second up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: Instant,
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
            last: Instant::now(),
        }
    }

    /// The bucket for chat messages at `per_second`, with bursts of three seconds' worth.
    pub fn for_messages(per_second: u32) -> Self {
        Self::new(
            f64::from(per_second),
            f64::from(per_second.saturating_mul(3)),
        )
    }

    /// Takes a token if there is one.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
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
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let start = Instant::now();
        let mut b = TokenBucket::new(10.0, 3.0);
        b.last = start;
        assert!(b.take_at(start) && b.take_at(start) && b.take_at(start));
        assert!(!b.take_at(start));
        assert!(b.take_at(start + Duration::from_millis(100)));
        assert!(!b.take_at(start + Duration::from_millis(100)));
    }
}
