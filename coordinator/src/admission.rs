//! How many connections from one address may be open without a logged-in session.
//!
//! A connection that never logs in costs the coordinator memory and a task while proving
//! nothing about who opened it; anything on the LAN can open thousands. Each is closed at its
//! login deadline (see `server`), and at most [`DEFAULT_MAX_PER_ADDRESS`] (configurable) may be
//! waiting at once per IP address; the next one is closed with a reason saying so. A
//! connection stops counting as soon as it logs in.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::lock::lock;

/// Connections one address may have open and not logged in, by default. Generous: an office
/// terminal server puts many people behind one address, and each of their clients is only
/// briefly not logged in.
pub const DEFAULT_MAX_PER_ADDRESS: usize = 64;

/// The count of not-logged-in connections per address.
#[derive(Debug)]
pub struct Admission {
    max_per_address: usize,
    waiting: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection from `ip`; it stops counting when dropped (at login, or when the
/// connection ends).
#[derive(Debug)]
pub struct Admitted {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Admission {
    /// At most `max_per_address` waiting connections per address (at least one).
    pub fn new(max_per_address: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max_per_address: max_per_address.max(1),
            waiting: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`, or `None` when that address has its limit waiting.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let mut waiting = lock(&self.waiting);
        let count = waiting.entry(ip).or_default();
        if *count >= self.max_per_address {
            return None;
        }
        *count += 1;
        Some(Admitted {
            admission: self.clone(),
            ip,
        })
    }

    /// Connections from `ip` that are open and not logged in.
    pub fn waiting(&self, ip: IpAddr) -> usize {
        lock(&self.waiting).get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut waiting = lock(&self.admission.waiting);
        if let Some(count) = waiting.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_limit_and_logins_free_a_place() {
        let admission = Admission::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert!(
            admission.admit(a).is_none(),
            "a third one waits for nothing"
        );
        assert!(
            admission.admit(b).is_some(),
            "another address is not affected"
        );
        drop(first); // logged in, or gone
        assert_eq!(admission.waiting(a), 1);
        assert!(admission.admit(a).is_some());
    }
}
