//! Pinned coordinators, like SSH's known_hosts, as plain data (the file that keeps them is
//! [`crate::known`]).
//!
//! A pin is a certificate fingerprint: the only thing that identifies a coordinator, since
//! anyone on the LAN can announce any name and any address. Each pin remembers the name the
//! coordinator had (for messages) and the last address that worked (tried first next time,
//! whatever the announcements say). Pins are kept most recently used first.
use std::net::SocketAddr;

use lanchat_net::fingerprint::Fingerprint;

/// Most coordinators remembered (an office has one; a laptop visits a few).
pub const MAX_PINS: usize = 32;

/// One pinned coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinEntry {
    /// Its certificate fingerprint.
    pub fingerprint: Fingerprint,
    /// The name it announced (or "coordinator" when given explicitly).
    pub name: String,
    /// The last address a session with it worked at.
    pub last_addr: Option<SocketAddr>,
}

/// What the pins say about an announced coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// Its fingerprint is pinned.
    Same,
    /// Never seen, and no pinned coordinator has its name: a first contact.
    New,
    /// Its fingerprint is not pinned but a pinned coordinator has its name: someone else, or
    /// the same coordinator with a new key (which it can prove with a rollover statement).
    Changed {
        /// The fingerprint pinned for that name (short form).
        pinned: String,
    },
}

/// The pinned coordinators, most recently used first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    entries: Vec<PinEntry>,
}

impl Pins {
    /// Reads the file's text: one `fingerprint-hex address-or-dash name` per line. Lines in the
    /// format of earlier versions (`name fingerprint-hex`) are read too.
    pub fn parse(text: &str) -> Pins {
        let mut pins = Pins::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(entry) = parse_line(line).or_else(|| parse_old_line(line)) {
                if !pins.is_pinned(&entry.fingerprint) && pins.entries.len() < MAX_PINS {
                    pins.entries.push(entry);
                }
            }
        }
        pins
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|e| {
                let addr = e.last_addr.map_or("-".to_string(), |a| a.to_string());
                format!("{} {addr} {}\n", e.fingerprint.full_hex(), e.name)
            })
            .collect()
    }

    /// True when nothing is pinned (a first start).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pins, most recently used first.
    pub fn entries(&self) -> &[PinEntry] {
        &self.entries
    }

    /// Whether this certificate is pinned.
    pub fn is_pinned(&self, fp: &Fingerprint) -> bool {
        self.entries.iter().any(|e| e.fingerprint == *fp)
    }

    /// What the pins say about a coordinator announcing `name` with `fp`.
    pub fn check(&self, name: &str, fp: &Fingerprint) -> Pinned {
        if self.is_pinned(fp) {
            return Pinned::Same;
        }
        match self.entries.iter().find(|e| e.name == name) {
            Some(e) => Pinned::Changed {
                pinned: e.fingerprint.short(),
            },
            None => Pinned::New,
        }
    }

    /// Pins `fp` under `name` (with the address it worked at, if known) as the most recently
    /// used; the least recently used pin goes when there are too many.
    pub fn pin(&mut self, fp: Fingerprint, name: &str, addr: Option<SocketAddr>) {
        let last_addr = addr.or_else(|| self.entry(&fp).and_then(|e| e.last_addr));
        self.entries.retain(|e| e.fingerprint != fp);
        self.entries.insert(
            0,
            PinEntry {
                fingerprint: fp,
                name: name.to_string(),
                last_addr,
            },
        );
        self.entries.truncate(MAX_PINS);
    }

    /// Forgets a pin (its key was rolled over to a successor).
    pub fn unpin(&mut self, fp: &Fingerprint) {
        self.entries.retain(|e| e.fingerprint != *fp);
    }

    /// Forgets every pin under `name` but `keep` (the person accepted a new key for that
    /// coordinator: the old one must not stay trusted beside it).
    pub fn replace_name(&mut self, name: &str, keep: &Fingerprint) {
        self.entries
            .retain(|e| e.name != name || e.fingerprint == *keep);
    }

    /// The pin of this certificate.
    pub fn entry(&self, fp: &Fingerprint) -> Option<&PinEntry> {
        self.entries.iter().find(|e| e.fingerprint == *fp)
    }
}

fn parse_fingerprint(hex_digits: &str) -> Option<Fingerprint> {
    let bytes = hex::decode(hex_digits).ok()?;
    Some(Fingerprint(bytes.try_into().ok()?))
}

fn parse_line(line: &str) -> Option<PinEntry> {
    let mut parts = line.splitn(3, ' ');
    let fingerprint = parse_fingerprint(parts.next()?)?;
    let addr = parts.next()?;
    let last_addr = if addr == "-" {
        None
    } else {
        Some(addr.parse().ok()?)
    };
    let name = parts.next().unwrap_or("coordinator").to_string();
    Some(PinEntry {
        fingerprint,
        name,
        last_addr,
    })
}

fn parse_old_line(line: &str) -> Option<PinEntry> {
    let (name, fp) = line.rsplit_once(' ')?;
    Some(PinEntry {
        fingerprint: parse_fingerprint(fp)?,
        name: name.to_string(),
        last_addr: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_fingerprints_with_a_name_and_the_last_address_and_survive_text() {
        let a = Fingerprint::of_cert(b"a");
        let b = Fingerprint::of_cert(b"b");
        let mut pins = Pins::default();
        assert_eq!(pins.check("office hub", &a), Pinned::New);
        pins.pin(a, "office hub", Some("10.0.0.5:7117".parse().unwrap()));
        let pins = Pins::parse(&pins.to_text());
        assert_eq!(pins.check("office hub", &a), Pinned::Same);
        // Pinned by key, not by name: the same key under another name is still pinned.
        assert_eq!(pins.check("renamed", &a), Pinned::Same);
        assert_eq!(
            pins.check("office hub", &b),
            Pinned::Changed { pinned: a.short() }
        );
        assert_eq!(pins.check("elsewhere", &b), Pinned::New);
        assert_eq!(
            pins.entry(&a).unwrap().last_addr,
            Some("10.0.0.5:7117".parse().unwrap())
        );
    }

    #[test]
    fn the_most_recently_used_comes_first_and_keeps_its_address() {
        let a = Fingerprint::of_cert(b"a");
        let b = Fingerprint::of_cert(b"b");
        let mut pins = Pins::default();
        pins.pin(a, "a", Some("10.0.0.1:1".parse().unwrap()));
        pins.pin(b, "b", None);
        pins.pin(a, "a", None);
        let order: Vec<_> = pins.entries().iter().map(|e| e.fingerprint).collect();
        assert_eq!(order, [a, b]);
        assert_eq!(
            pins.entries()[0].last_addr,
            Some("10.0.0.1:1".parse().unwrap())
        );
    }

    #[test]
    fn files_of_earlier_versions_are_read() {
        let a = Fingerprint::of_cert(b"a");
        let pins = Pins::parse(&format!("office hub {}\n\ngarbage\n", a.full_hex()));
        assert_eq!(pins.entries().len(), 1);
        assert_eq!(pins.entries()[0].name, "office hub");
        assert!(pins.is_pinned(&a));
    }
}
