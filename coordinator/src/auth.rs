//! Authentication: OPAQUE's keys and steps, the legacy Argon2id hashes they replace, the
//! login throttle, and the bounded pool that does any password hashing.
//!
//! # Layout
//! - this file: [`Accounts`] (what the connection gate authenticates with) and the legacy
//!   Argon2id hashes of accounts made before OPAQUE.
//! - [`keys`]: the coordinator's OPAQUE setup (a secret file) and the steps it answers.
//! - [`backoff`]: login throttling per (account, address) and per address, with back-off.
//! - [`work`]: the bounded pool where password hashing runs.
use std::sync::Mutex;

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;

pub mod backoff;
pub mod keys;
pub mod work;

pub use backoff::LoginThrottle;
pub use keys::OpaqueKeys;
pub use work::PasswordWork;

/// What the connection gate authenticates with: the OPAQUE keys, the failed-login counts and
/// the password-hashing pool. One per coordinator.
#[derive(Debug)]
pub struct Accounts {
    /// The OPAQUE setup.
    pub keys: OpaqueKeys,
    /// Failed-login counts.
    pub throttle: Mutex<LoginThrottle>,
    /// Where legacy hashes are checked.
    pub work: PasswordWork,
}

impl Accounts {
    /// Authentication with these keys and this pool.
    pub fn new(keys: OpaqueKeys, work: PasswordWork) -> Accounts {
        Accounts {
            keys,
            throttle: Mutex::default(),
            work,
        }
    }

    /// Fresh random keys and a one-worker pool: for tests and harnesses.
    pub fn ephemeral() -> Accounts {
        let work = PasswordWork::new(1, 2).unwrap_or_else(|e| panic!("no worker thread: {e}"));
        Accounts::new(OpaqueKeys::generate(), work)
    }
}

/// Argon2id with the argon2 crate's defaults (m = 19 MiB, t = 2, p = 1: OWASP's recommendation).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Memory one Argon2id hash or check uses (its m parameter), in bytes.
pub const ARGON2_BYTES: usize = argon2::Params::DEFAULT_M_COST as usize * 1024;

/// Hashes a password into a PHC string (salt included), as accounts were kept before OPAQUE.
/// Slow on purpose; tests use it to make legacy accounts.
pub fn hash_password(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Checks a password against a PHC string; a malformed stored hash counts as a mismatch.
/// Slow on purpose: run it on [`PasswordWork`].
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
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
        assert_eq!(ARGON2_BYTES, 19 * 1024 * 1024);
    }
}
