//! The coordinator's key over time: rolling it over to a new one that the old one vouches for,
//! and the chain of those statements that every client is handed in its Welcome.
//!
//! `lanchat coordinator rotate-key` calls [`rotate`] on a stopped coordinator's data
//! directory: a new identity is made, the old key signs a [`Rollover`] statement naming the
//! new certificate, the statement joins the chain kept in [`ROLLOVER_FILE`], and the new
//! identity replaces the old one (whose key is then gone). A client that pinned any key of the
//! chain trusts the new one when it connects; one that pinned none refuses, loudly.
use std::path::Path;

use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::rollover::{Rollover, MAX_CHAIN};
use lanchat_net::tls::Identity;

use crate::data_lock::DataLock;
use crate::error::CoordinatorError;

/// File of the data directory that keeps the chain of rollover statements (postcard).
pub const ROLLOVER_FILE: &str = "identity-rollover.bin";

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The key clients pinned until now.
    pub old: Fingerprint,
    /// The key the coordinator uses from its next start.
    pub new: Fingerprint,
}

/// The chain of rollover statements kept in `dir` (none: an empty chain), oldest first.
pub fn load_chain(dir: &Path) -> Result<Vec<Rollover>, CoordinatorError> {
    let path = dir.join(ROLLOVER_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(keys_error(&path, source)),
    };
    let chain: Vec<Rollover> = postcard::from_bytes(&bytes).map_err(|e| {
        keys_error(
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    Ok(chain)
}

/// Rolls the identity kept in `dir` over to a new one (see the module documentation). Refused
/// while a coordinator runs on `dir` (it would keep using the key it started with).
pub fn rotate(dir: &Path) -> Result<Rotation, CoordinatorError> {
    let _running = DataLock::acquire(dir)?;
    let old = Identity::load(dir)?.ok_or_else(|| CoordinatorError::Keys {
        path: dir.display().to_string(),
        reason: "there is no identity to roll over here (no coordinator ever ran on it)".into(),
    })?;
    let new = Identity::generate()?;
    let statement =
        Rollover::sign(old.cert_der(), old.key_der(), new.fingerprint()).map_err(|e| {
            CoordinatorError::Keys {
                path: dir.display().to_string(),
                reason: e.to_string(),
            }
        })?;
    let mut chain = load_chain(dir)?;
    chain.push(statement);
    // Clients follow at most MAX_CHAIN hand-overs; older ones would never be used.
    let excess = chain.len().saturating_sub(MAX_CHAIN);
    chain.drain(..excess);
    // The statement is kept before the new key replaces the old: a crash in between leaves a
    // statement for a key never used, which is harmless; the other order would strand clients.
    let path = dir.join(ROLLOVER_FILE);
    let bytes = postcard::to_allocvec(&chain).map_err(|e| {
        keys_error(
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    let tmp = path.with_extension("tmp");
    lanchat_net::private::write(&tmp, &bytes)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| keys_error(&path, source))?;
    new.save(dir)?;
    Ok(Rotation {
        old: old.fingerprint(),
        new: new.fingerprint(),
    })
}

fn keys_error(path: &Path, source: std::io::Error) -> CoordinatorError {
    CoordinatorError::Keys {
        path: path.display().to_string(),
        reason: source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::rollover::vouched_by;

    #[test]
    fn each_rotation_is_vouched_for_by_the_key_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path()).unwrap().fingerprint();
        let one = rotate(dir.path()).unwrap();
        let two = rotate(dir.path()).unwrap();
        assert_eq!(one.old, first);
        assert_eq!(two.old, one.new);
        let now = Identity::load(dir.path()).unwrap().unwrap().fingerprint();
        assert_eq!(now, two.new);
        let chain = load_chain(dir.path()).unwrap();
        assert_eq!(chain.len(), 2);
        // A client that pinned the first key follows both hand-overs.
        assert_eq!(vouched_by(&chain, now, |f| *f == first), Some(first));
    }

    #[test]
    fn a_running_coordinator_s_key_is_not_rotated() {
        let dir = tempfile::tempdir().unwrap();
        Identity::load_or_create(dir.path()).unwrap();
        let running = DataLock::acquire(dir.path()).unwrap();
        let e = rotate(dir.path()).unwrap_err().to_string();
        assert!(e.contains("stop it first"), "{e}");
        drop(running);
        rotate(dir.path()).unwrap();
    }

    #[test]
    fn nothing_to_rotate_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = rotate(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no identity"), "{e}");
    }
}
