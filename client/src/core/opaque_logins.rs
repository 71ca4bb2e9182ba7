//! Which (coordinator, user) pairs have logged in with OPAQUE, as plain data (the file that
//! keeps them is [`crate::known`], beside the pins).
//!
//! Why: a legacy account's upgrade shows the password to the coordinator once, so a client
//! accepts a "legacy account" answer only where that can be true. Once this client has logged in
//! to a coordinator as a user with OPAQUE, the account has an OPAQUE record there; a later
//! "legacy" answer for the same pair is a downgrade attack (or a coordinator restored from an
//! old backup) and is refused loudly, across restarts.
use lanchat_net::fingerprint::Fingerprint;

/// Most pairs remembered (least recently used go first).
pub const MAX_OPAQUE_LOGINS: usize = 256;

/// The pairs, most recently used first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpaqueLogins {
    entries: Vec<(Fingerprint, String)>,
}

impl OpaqueLogins {
    /// Reads the file's text: one `fingerprint-hex username` per line; others are skipped.
    pub fn parse(text: &str) -> OpaqueLogins {
        let mut logins = OpaqueLogins::default();
        for line in text.lines().map(str::trim) {
            let Some((fp, user)) = line.split_once(' ') else {
                continue;
            };
            let Some(fp) = hex::decode(fp).ok().and_then(|b| b.try_into().ok()) else {
                continue;
            };
            let entry = (Fingerprint(fp), user.trim().to_lowercase());
            if !entry.1.is_empty()
                && !logins.entries.contains(&entry)
                && logins.entries.len() < MAX_OPAQUE_LOGINS
            {
                logins.entries.push(entry);
            }
        }
        logins
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(fp, user)| format!("{} {user}\n", fp.full_hex()))
            .collect()
    }

    /// Whether `username` has logged in to `coordinator` with OPAQUE.
    pub fn contains(&self, coordinator: &Fingerprint, username: &str) -> bool {
        let username = username.to_lowercase();
        self.entries
            .iter()
            .any(|(fp, user)| fp == coordinator && *user == username)
    }

    /// Remembers a login; true if that is news.
    pub fn insert(&mut self, coordinator: Fingerprint, username: &str) -> bool {
        let entry = (coordinator, username.to_lowercase());
        let news = self.entries.first() != Some(&entry);
        self.entries.retain(|e| *e != entry);
        self.entries.insert(0, entry);
        self.entries.truncate(MAX_OPAQUE_LOGINS);
        news
    }

    /// The coordinator's key rolled over from `old` to `new`: its accounts are the same.
    pub fn rekey(&mut self, old: &Fingerprint, new: Fingerprint) -> bool {
        let users: Vec<String> = self
            .entries
            .iter()
            .filter(|(fp, _)| fp == old)
            .map(|(_, u)| u.clone())
            .collect();
        for user in &users {
            self.insert(new, user);
        }
        !users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_survive_text_and_follow_a_rollover() {
        let (a, b) = (Fingerprint::of_cert(b"a"), Fingerprint::of_cert(b"b"));
        let mut logins = OpaqueLogins::default();
        assert!(logins.insert(a, "Alice"));
        assert!(!logins.insert(a, "alice"));
        let mut logins = OpaqueLogins::parse(&format!("{}\ngarbage\n", logins.to_text()));
        assert!(logins.contains(&a, "ALICE"));
        assert!(!logins.contains(&a, "bob"));
        assert!(!logins.contains(&b, "alice"));
        assert!(logins.rekey(&a, b));
        assert!(logins.contains(&b, "alice"));
    }
}
