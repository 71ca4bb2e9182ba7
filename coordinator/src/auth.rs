//! Password hashing (Argon2id) and login throttling.
use std::collections::HashMap;
use std::net::IpAddr;

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Argon2id with the argon2 crate's defaults (m = 19 MiB, t = 2, p = 1: OWASP's recommendation).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a password into a PHC string (salt included). Slow on purpose: call off the async
/// threads.
pub fn hash_password(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Checks a password against a PHC string; a malformed stored hash counts as a mismatch.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that an unknown username takes as
/// long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("lanchat dummy password").unwrap_or_default())
}

/// Failed attempts allowed per account within [`WINDOW_MS`].
pub const ACCOUNT_FAILURES: usize = 5;
/// Failed attempts allowed per client address within [`WINDOW_MS`].
pub const ADDRESS_FAILURES: usize = 20;
/// How far back failures count, in milliseconds.
pub const WINDOW_MS: i64 = 60_000;

/// Counts recent failed logins per account and per address. While over a limit, attempts are
/// refused without checking the password, with the same answer as a wrong password.
///
/// Times are the caller's (milliseconds since the Unix epoch, as the connection gate gets
/// them). A failure stamped later than `now` (the clock stepped back) still counts.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    accounts: HashMap<String, Vec<i64>>,
    addresses: HashMap<IpAddr, Vec<i64>>,
}

impl LoginThrottle {
    /// Whether an attempt for `username` from `addr` may be checked at `now`.
    pub fn allowed(&mut self, username: &str, addr: IpAddr, now: i64) -> bool {
        let account = recent(
            self.accounts.entry(username.to_lowercase()).or_default(),
            now,
        );
        let address = recent(self.addresses.entry(addr).or_default(), now);
        account < ACCOUNT_FAILURES && address < ADDRESS_FAILURES
    }

    /// Records a failed attempt at `now`.
    pub fn failed(&mut self, username: &str, addr: IpAddr, now: i64) {
        self.accounts
            .entry(username.to_lowercase())
            .or_default()
            .push(now);
        self.addresses.entry(addr).or_default().push(now);
        // Bound memory under a flood of distinct usernames.
        if self.accounts.len() > 10_000 {
            self.accounts
                .retain(|_, v| v.last().is_some_and(|t| within_window(*t, now)));
        }
        if self.addresses.len() > 10_000 {
            self.addresses
                .retain(|_, v| v.last().is_some_and(|t| within_window(*t, now)));
        }
    }
}

/// Whether a failure at `t` still counts at `now`.
fn within_window(t: i64, now: i64) -> bool {
    now.saturating_sub(t) < WINDOW_MS
}

fn recent(times: &mut Vec<i64>, now: i64) -> usize {
    times.retain(|t| within_window(*t, now));
    times.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("correct"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("wrong horse battery", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn throttle_per_account_and_address() {
        let mut t = LoginThrottle::default();
        let now = 1_700_000_000_000;
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..ACCOUNT_FAILURES {
            assert!(t.allowed("Alice", a, now));
            t.failed("alice", a, now);
        }
        assert!(
            !t.allowed("ALICE", b, now),
            "account limit applies from any address"
        );
        assert!(t.allowed("bob", a, now));
        assert!(t.allowed("alice", a, now + WINDOW_MS), "failures expire");
        for i in 0..ADDRESS_FAILURES {
            t.failed(&format!("u{i}"), b, now);
        }
        assert!(!t.allowed("carol", b, now), "address limit");
    }
}
