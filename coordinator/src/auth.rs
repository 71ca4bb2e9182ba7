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
use argon2::{Algorithm, Argon2, Block, Params, Version};

pub mod backoff;
pub mod keys;
pub mod work;

pub use backoff::LoginThrottle;
pub use keys::OpaqueKeys;
pub use work::{PasswordWork, WorkError};

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
/// Slow on purpose, and allocates its 19 MiB each time: the coordinator uses a [`Hasher`] on
/// [`PasswordWork`] instead.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// Argon2id with its memory allocated once and reused: what each password worker owns.
///
/// Why: the argon2 crate allocates (and frees) its 19 MiB on every call, and glibc's malloc
/// kept those blocks: one thread checking passwords in a row grew by 19 MiB a check up to
/// about 160 MiB (measured), and every thread that ever checked one kept its own. A worker
/// that hashes into its own buffer holds exactly 19 MiB, however many checks it runs.
pub struct Hasher {
    blocks: Vec<Block>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hasher({} blocks)", self.blocks.len())
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl Hasher {
    /// A hasher with memory for the default parameters (the ones every legacy hash has).
    pub fn new() -> Hasher {
        Hasher {
            blocks: vec![Block::default(); Params::DEFAULT.block_count()],
        }
    }

    /// Like [`verify_password`], in this hasher's memory (a hash with parameters that need
    /// more memory than it has is checked the allocating way).
    pub fn verify(&mut self, password: &str, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let Ok(params) = Params::try_from(&hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_ref()) else {
            return false;
        };
        let Ok(version) = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from)
        else {
            return false;
        };
        let Some(blocks) = self.blocks.get_mut(..params.block_count()) else {
            return verify_password(password, phc);
        };
        let mut out = vec![0u8; expected.as_ref().len()];
        let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            blocks,
        );
        // Output's comparison is constant-time.
        hashed.is_ok()
            && argon2::password_hash::phc::Output::new(&out).is_ok_and(|o| o == *expected)
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
        let mut hasher = Hasher::new();
        for _ in 0..2 {
            assert!(hasher.verify("correct horse battery", &phc));
            assert!(!hasher.verify("wrong horse battery", &phc));
        }
        assert!(!hasher.verify("x", "not a hash"));
        // Other parameters (less memory) work in the same buffer.
        let small = Params::new(1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, small)
            .hash_password(b"another password")
            .unwrap()
            .to_string();
        assert!(hasher.verify("another password", &other));
        assert!(!hasher.verify("correct horse battery", &other));
    }
}
