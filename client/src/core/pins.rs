//! Pinned coordinator fingerprints, like SSH's known_hosts, as plain data (the file that keeps
//! them is [`crate::known`]).
//!
//! A coordinator is identified by the name it announces; a changed fingerprint under a known
//! name is refused unless the person accepts it.
use std::collections::BTreeMap;

use lanchat_net::fingerprint::{Fingerprint, Pin};

/// What the pins say about a coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// Never seen: trust on first use.
    New,
    /// Seen before with this same fingerprint.
    Same,
    /// Seen before with another fingerprint.
    Changed {
        /// The fingerprint pinned earlier (short form when it parses).
        pinned: String,
    },
}

/// Fingerprints by coordinator name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    entries: BTreeMap<String, String>,
}

impl Pins {
    /// Reads the file's text: one `name fingerprint-hex` per line (the name may hold spaces).
    pub fn parse(text: &str) -> Pins {
        let entries = text
            .lines()
            .filter_map(|line| {
                let (name, fp) = line.trim().rsplit_once(' ')?;
                Some((name.to_string(), fp.to_string()))
            })
            .collect();
        Pins { entries }
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(name, fp)| format!("{name} {fp}\n"))
            .collect()
    }

    /// Compares `fp` with what is pinned for `name`.
    pub fn check(&self, name: &str, fp: &Fingerprint) -> Pinned {
        match self.entries.get(name) {
            None => Pinned::New,
            Some(hex) if *hex == fp.full_hex() => Pinned::Same,
            Some(hex) => Pinned::Changed {
                pinned: hex
                    .parse::<Pin>()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|_| hex.clone()),
            },
        }
    }

    /// Pins `fp` for `name`.
    pub fn insert(&mut self, name: &str, fp: &Fingerprint) {
        self.entries.insert(name.to_string(), fp.full_hex());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_use_then_same_then_changed_across_a_round_trip_through_text() {
        let a = Fingerprint::of_cert(b"a");
        let b = Fingerprint::of_cert(b"b");
        let mut pins = Pins::default();
        assert_eq!(pins.check("office hub", &a), Pinned::New);
        pins.insert("office hub", &a);
        let pins = Pins::parse(&pins.to_text());
        assert_eq!(pins.check("office hub", &a), Pinned::Same);
        assert_eq!(
            pins.check("office hub", &b),
            Pinned::Changed { pinned: a.short() }
        );
    }
}
