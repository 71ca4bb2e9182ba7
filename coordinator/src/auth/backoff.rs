//! Login throttling with exponential back-off, per (account, address) and per address.
//!
//! Why these keys: counting per account alone let anyone lock bob out everywhere with five
//! wrong guesses from any machine. Here a guesser only slows itself down: bob's own machine
//! (another address) keeps its own count for bob. The per-address count bounds what one
//! machine can try across many accounts.
//!
//! An attempt counts as failed when it starts (with OPAQUE the coordinator never learns of a
//! wrong password: the client finds out alone and simply stops), and a login that succeeds
//! takes its own attempt back. After [`FREE_PER_ACCOUNT`] (or [`FREE_PER_ADDRESS`]) failures,
//! each further failure closes the key for [`BASE_MS`] × 2^(extra failures), up to [`MAX_MS`];
//! a key quiet for [`FORGET_MS`] starts over. Refusals happen before any work is done.
//!
//! Times are the caller's (milliseconds since the Unix epoch): a test decides how much time
//! passes. A clock that steps back keeps a key closed (it never opens early).
use std::collections::HashMap;
use std::net::IpAddr;

/// Failed attempts for one account from one address before back-off starts.
pub const FREE_PER_ACCOUNT: u32 = 5;
/// Failed attempts from one address (any accounts) before back-off starts.
pub const FREE_PER_ADDRESS: u32 = 30;
/// The first back-off; each further failure doubles it.
pub const BASE_MS: i64 = 1_000;
/// The longest back-off.
pub const MAX_MS: i64 = 15 * 60 * 1000;
/// A key with no failure for this long is forgotten.
pub const FORGET_MS: i64 = 60 * 60 * 1000;
/// Most keys of each kind remembered: the least recently failed go first beyond it, so a flood
/// of made-up names costs bounded memory (about 100 bytes a key).
pub const MAX_KEYS: usize = 16_384;

/// Failures of one key.
#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last_ms: i64,
    /// Closed until then.
    until_ms: i64,
}

impl Count {
    /// How long the key is still closed at `now` (0: open).
    fn wait_ms(&self, now: i64) -> i64 {
        self.until_ms.saturating_sub(now).max(0)
    }

    fn fail(&mut self, free: u32, now: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_ms = self.last_ms.max(now);
        if let Some(extra) = self.failures.checked_sub(free + 1) {
            let backoff = BASE_MS.saturating_mul(1i64 << extra.min(30)).min(MAX_MS);
            self.until_ms = self.until_ms.max(now.saturating_add(backoff));
        }
    }
}

/// Why an attempt is refused before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    /// Milliseconds until the next attempt may start.
    pub wait_ms: i64,
    /// Whether it is the address as a whole (not just this account from it).
    pub whole_address: bool,
}

impl Throttled {
    /// What the client is told.
    pub fn message(&self, username: &str, addr: IpAddr) -> String {
        let secs = (self.wait_ms + 999) / 1000;
        if self.whole_address {
            format!("too many failed logins from {addr}; try again in {secs} s")
        } else {
            format!("too many failed logins for {username} from {addr}; try again in {secs} s")
        }
    }
}

/// The counts. See the module documentation.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    accounts: HashMap<(String, IpAddr), Count>,
    addresses: HashMap<IpAddr, Count>,
}

impl LoginThrottle {
    /// Whether an attempt for `username` from `addr` may start at `now`.
    pub fn check(&mut self, username: &str, addr: IpAddr, now: i64) -> Result<(), Throttled> {
        let key = (username.to_lowercase(), addr);
        forget_stale(&mut self.accounts, &key, now);
        forget_stale(&mut self.addresses, &addr, now);
        let address = self.addresses.get(&addr).map_or(0, |c| c.wait_ms(now));
        let account = self.accounts.get(&key).map_or(0, |c| c.wait_ms(now));
        match (address, account) {
            (0, 0) => Ok(()),
            (a, b) => Err(Throttled {
                wait_ms: a.max(b),
                whole_address: a >= b,
            }),
        }
    }

    /// An attempt starts: it counts as a failure unless [`LoginThrottle::succeeded`] takes
    /// it back.
    pub fn attempt(&mut self, username: &str, addr: IpAddr, now: i64) {
        let key = (username.to_lowercase(), addr);
        fail(&mut self.accounts, key, FREE_PER_ACCOUNT, now);
        fail(&mut self.addresses, addr, FREE_PER_ADDRESS, now);
    }

    /// The attempt succeeded: this account's count from this address starts over, and the
    /// address gets its attempt back.
    pub fn succeeded(&mut self, username: &str, addr: IpAddr) {
        self.accounts.remove(&(username.to_lowercase(), addr));
        if let Some(c) = self.addresses.get_mut(&addr) {
            c.failures = c.failures.saturating_sub(1);
        }
    }

    /// How many keys are remembered (accounts from addresses, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.accounts.len(), self.addresses.len())
    }
}

fn forget_stale<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Count>, key: &K, now: i64) {
    let stale = map
        .get(key)
        .is_some_and(|c| c.wait_ms(now) == 0 && now.saturating_sub(c.last_ms) >= FORGET_MS);
    if stale {
        map.remove(key);
    }
}

fn fail<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Count>, key: K, free: u32, now: i64) {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        map.retain(|_, c| c.wait_ms(now) > 0 || now.saturating_sub(c.last_ms) < FORGET_MS);
        while map.len() >= MAX_KEYS {
            let oldest = map
                .iter()
                .min_by_key(|(_, c)| c.last_ms)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
    }
    let count = map.entry(key).or_insert(Count {
        failures: 0,
        last_ms: now,
        until_ms: 0,
    });
    count.fail(free, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_guesser_backs_off_exponentially_and_the_victim_elsewhere_does_not() {
        let mut t = LoginThrottle::default();
        let (attacker, victim) = (ip("127.0.0.2"), ip("127.0.0.1"));
        let mut now = NOW;
        for _ in 0..FREE_PER_ACCOUNT {
            t.check("bob", attacker, now).unwrap();
            t.attempt("bob", attacker, now);
        }
        // The free attempts are spent: each further failure doubles the wait.
        let mut waits = Vec::new();
        for _ in 0..5 {
            t.check("bob", attacker, now).unwrap();
            t.attempt("BOB", attacker, now);
            let refused = t.check("bob", attacker, now).unwrap_err();
            assert!(!refused.whole_address);
            waits.push(refused.wait_ms);
            // Not a millisecond early.
            assert!(t.check("bob", attacker, now + refused.wait_ms - 1).is_err());
            now += refused.wait_ms;
        }
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000]);
        // Bob, from his own machine, is not held up at all, and logs in.
        t.check("bob", victim, now).unwrap();
        t.attempt("bob", victim, now);
        t.succeeded("bob", victim);
        // Nor is anyone else from the attacker's machine (its address still has attempts).
        t.check("carol", attacker, now).unwrap();
    }

    #[test]
    fn the_back_off_is_capped_and_forgotten_after_a_quiet_hour() {
        let mut t = LoginThrottle::default();
        let a = ip("10.1.2.3");
        for _ in 0..40 {
            t.attempt("bob", a, NOW);
        }
        let refused = t.check("bob", a, NOW).unwrap_err();
        assert_eq!(refused.wait_ms, MAX_MS);
        assert!(refused.message("bob", a).contains("try again in 900 s"));
        t.check("bob", a, NOW + FORGET_MS + MAX_MS).unwrap();
        assert_eq!(t.len(), (0, 0), "the quiet keys were forgotten");
    }

    #[test]
    fn one_address_trying_many_accounts_is_held_as_a_whole() {
        let mut t = LoginThrottle::default();
        let a = ip("10.1.2.3");
        for i in 0..=FREE_PER_ADDRESS {
            t.attempt(&format!("user{i}"), a, NOW);
        }
        let refused = t.check("someone-new", a, NOW).unwrap_err();
        assert!(refused.whole_address);
        assert_eq!(refused.wait_ms, BASE_MS);
        t.check("someone-new", ip("10.1.2.4"), NOW).unwrap();
    }

    #[test]
    fn a_success_takes_its_attempt_back() {
        let mut t = LoginThrottle::default();
        let a = ip("10.1.2.3");
        for _ in 0..100 {
            t.attempt("alice", a, NOW);
            t.succeeded("alice", a);
        }
        t.check("alice", a, NOW).unwrap();
        t.check("bob", a, NOW).unwrap();
    }

    #[test]
    fn a_flood_of_names_costs_bounded_memory() {
        let mut t = LoginThrottle::default();
        for i in 0..(MAX_KEYS + 100) {
            let addr = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            t.attempt(&format!("u{i}"), addr, NOW + i as i64);
        }
        let (accounts, addresses) = t.len();
        assert!(accounts <= MAX_KEYS && addresses <= MAX_KEYS);
    }
}
