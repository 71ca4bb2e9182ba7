//! Discovery beacons: the sealed datagrams lanchat processes multicast on the LAN.
//!
//! This module is sans-I/O: it only turns [`Beacon`] values into byte slices and
//! back, so every parsing path can be unit-tested without sockets.
//!
//! # Why beacons are encrypted
//!
//! Beacons are *hints*: they tell a client where a coordinator claims to listen
//! and what TLS fingerprint it claims to have. Whether that claim is true is
//! decided later, when the QUIC/TLS handshake checks the pinned fingerprint.
//! Sealing beacons with a realm key still buys three things:
//!
//! * several independent lanchat installations (realms) can share one LAN
//!   without seeing each other's coordinators;
//! * anything that is not a lanchat beacon of our realm (stray traffic, other
//!   programs on the same group, corrupted packets) is rejected cheaply and
//!   without ever reaching the postcard decoder;
//! * with a secret `--realm` passphrase, outsiders cannot read the coordinator
//!   names carried in beacons.
//!
//! A realm member can send anything, though: every beacon is a claim, never a fact. That is
//! why presence is no longer multicast (see [`BeaconKind::Presence`]).
//!
//! The default realm ([`DEFAULT_REALM`]) is zero-config and therefore **not**
//! secret: anybody who knows lanchat can derive its key.
//!
//! # Wire format
//!
//! ```text
//! "LCB1" (4 bytes) ‖ nonce (12 random bytes) ‖ AES-256-GCM(postcard(Beacon)) incl. 16-byte tag
//! ```
//!
//! The magic is authenticated as associated data, so a version bump of the
//! magic cannot be spliced onto an old ciphertext.
//!
//! # Replay and freshness
//!
//! [`ReplayFilter`] drops beacons whose per-sender counter does not increase and
//! beacons whose timestamp is too far from the local clock. Its memory is
//! bounded, so a flood of fresh sender ids can evict real senders; that is
//! acceptable because beacons only ever trigger a TLS-verified connection.
// Untrusted bytes and names pass through here: no panicking shortcuts.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use aes_gcm::aead::{Aead, Key, KeyInit, Nonce, Payload};
use aes_gcm::Aes256Gcm;
use serde::{Deserialize, Serialize};

use crate::protocol::PresenceStatus;

/// Largest datagram accepted or produced. Fits in one Ethernet frame (MTU 1500)
/// with room for IP/UDP headers and tunnel overhead, so beacons never fragment.
pub const MAX_BEACON_LEN: usize = 1200;

/// Magic prefix of every beacon; also the AEAD associated data.
pub const MAGIC: &[u8; 4] = b"LCB1";

/// Length of the random AES-GCM nonce that follows the magic.
pub const NONCE_LEN: usize = 12;

/// Length of the AES-GCM authentication tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;

/// Shortest possible datagram: magic, nonce and tag around an empty plaintext.
pub const MIN_BEACON_LEN: usize = MAGIC.len() + NONCE_LEN + TAG_LEN;

/// Realm used when the user gives no `--realm`. Zero-config, **not** a secret.
pub const DEFAULT_REALM: &str = "lanchat";

/// Context string for deriving the realm key; changing it splits the network.
const REALM_KEY_CONTEXT: &str = "lanchat 2026-11 realm beacon key v1";

/// Largest accepted difference between a beacon's timestamp and the local clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 15 * 60 * 1000;

/// Number of senders the [`ReplayFilter`] remembers before evicting the oldest.
pub const REPLAY_MAX_SENDERS: usize = 1024;

/// The 256-bit AES-GCM key that seals the beacons of one realm.
#[derive(Clone)]
pub struct RealmKey([u8; 32]);

impl RealmKey {
    /// Derives the realm key from a passphrase (use [`DEFAULT_REALM`] if none given).
    pub fn from_passphrase(passphrase: &str) -> Self {
        Self(blake3::derive_key(REALM_KEY_CONTEXT, passphrase.as_bytes()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.0))
    }
}

impl fmt::Debug for RealmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RealmKey(<redacted>)")
    }
}

/// A coordinator advertising where clients can reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announce {
    /// Random id of the coordinator instance.
    pub coordinator_id: u64,
    /// Human-readable coordinator name.
    pub name: String,
    /// UDP port of the coordinator's QUIC endpoint.
    pub quic_port: u16,
    /// Address of the QUIC endpoint; `None` = use the datagram's source address.
    pub quic_ip: Option<IpAddr>,
    /// Claimed TLS certificate fingerprint; verified during the handshake.
    pub fingerprint: [u8; 32],
    /// When the coordinator started (ms since the Unix epoch).
    pub started_ms: u64,
    /// Wire protocol version the coordinator speaks.
    pub protocol_version: u16,
}

/// What a beacon says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BeaconKind {
    /// A coordinator advertises itself.
    Announce(Announce),
    /// Someone asks coordinators to announce themselves now.
    Probe,
    /// A user's presence changed, as coordinators before December 2026 multicast it. Nothing
    /// sends it now and clients ignore it: anyone with the realm passphrase could show a
    /// colleague online, or a "CEO" who has no account; presence comes from the coordinator
    /// over QUIC. Kept so that such beacons still decode (and tests can forge them).
    Presence {
        /// Login name.
        username: String,
        /// Display name.
        display: String,
        /// New status.
        status: PresenceStatus,
    },
}

/// One discovery datagram, before sealing / after opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beacon {
    /// Random per process; lets receivers drop their own beacons and track replays.
    pub sender_id: u64,
    /// Strictly increasing per sender.
    pub counter: u64,
    /// Sender's clock when sealing (ms since the Unix epoch).
    pub sent_ms: u64,
    /// Payload.
    pub kind: BeaconKind,
}

/// Why a datagram was not accepted as a beacon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    /// The datagram (or the sealed beacon) exceeds [`MAX_BEACON_LEN`].
    #[error("beacon is {len} bytes, more than the {MAX_BEACON_LEN}-byte limit")]
    TooLarge {
        /// Length of the datagram.
        len: usize,
    },
    /// The datagram cannot even hold magic, nonce and tag.
    #[error("datagram is {len} bytes, shorter than the {MIN_BEACON_LEN}-byte minimum beacon")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The datagram does not start with the `LCB1` magic: not a lanchat beacon.
    #[error("datagram does not start with the lanchat beacon magic")]
    BadMagic,
    /// Authentication failed: sealed with another realm key, or tampered with.
    #[error("beacon failed authentication (different realm or corrupted)")]
    Auth,
    /// Authenticated, but the plaintext is not a valid beacon encoding
    /// (or, when sealing, the beacon could not be encoded).
    #[error("beacon payload is malformed: {0}")]
    Malformed(String),
    /// The sender's counter did not increase: a duplicate or replayed beacon.
    #[error("beacon counter did not increase (duplicate or replay)")]
    Replay,
    /// The beacon's timestamp is too far from the local clock.
    #[error(
        "beacon timestamp is {skew_ms} ms away from the local clock (limit {MAX_CLOCK_SKEW_MS} ms)"
    )]
    Stale {
        /// Absolute difference between the beacon's and the local clock.
        skew_ms: u64,
    },
}

/// Encodes and seals `beacon` with `key` into one datagram.
pub fn seal(key: &RealmKey, beacon: &Beacon) -> Result<Vec<u8>, BeaconError> {
    let plaintext =
        postcard::to_allocvec(beacon).map_err(|e| BeaconError::Malformed(e.to_string()))?;
    let len = MIN_BEACON_LEN + plaintext.len();
    if len > MAX_BEACON_LEN {
        return Err(BeaconError::TooLarge { len });
    }
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce);
    let payload = Payload {
        msg: &plaintext,
        aad: MAGIC,
    };
    let ciphertext = key
        .cipher()
        .encrypt(&Nonce::<Aes256Gcm>::from(nonce), payload)
        // Only fails for inputs of gigabytes, excluded by the length check above.
        .map_err(|_| BeaconError::TooLarge { len })?;
    let mut datagram = Vec::with_capacity(len);
    datagram.extend_from_slice(MAGIC);
    datagram.extend_from_slice(&nonce);
    datagram.extend_from_slice(&ciphertext);
    Ok(datagram)
}

/// Authenticates and decodes one datagram. Never panics on arbitrary input.
pub fn open(key: &RealmKey, datagram: &[u8]) -> Result<Beacon, BeaconError> {
    let len = datagram.len();
    if len > MAX_BEACON_LEN {
        return Err(BeaconError::TooLarge { len });
    }
    if len < MIN_BEACON_LEN {
        return Err(BeaconError::TooShort { len });
    }
    let (magic, rest) = datagram
        .split_at_checked(MAGIC.len())
        .ok_or(BeaconError::TooShort { len })?;
    if magic != MAGIC {
        return Err(BeaconError::BadMagic);
    }
    let (nonce, ciphertext) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(BeaconError::TooShort { len })?;
    let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| BeaconError::TooShort { len })?;
    let payload = Payload {
        msg: ciphertext,
        aad: MAGIC,
    };
    let plaintext = key
        .cipher()
        .decrypt(&nonce, payload)
        .map_err(|_| BeaconError::Auth)?;
    decode_plaintext(&plaintext)
}

/// Decodes an authenticated plaintext, rejecting trailing bytes. Public so the fuzzer can
/// reach it: anyone who knows the realm passphrase can make the coordinator decode anything.
pub fn decode_plaintext(plaintext: &[u8]) -> Result<Beacon, BeaconError> {
    let (beacon, rest) = postcard::take_from_bytes::<Beacon>(plaintext)
        .map_err(|e| BeaconError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(BeaconError::Malformed(format!(
            "{} trailing bytes after the beacon",
            rest.len()
        )));
    }
    Ok(beacon)
}

/// What the [`ReplayFilter`] remembers about one sender.
#[derive(Debug, Clone, Copy)]
struct SenderState {
    /// Highest counter accepted from this sender.
    counter: u64,
    /// Filter-local sequence number of the last acceptance, for eviction.
    touched: u64,
}

/// Drops replayed and stale beacons, remembering at most
/// [`REPLAY_MAX_SENDERS`] senders (the least recently heard one is evicted).
#[derive(Debug, Default)]
pub struct ReplayFilter {
    senders: HashMap<u64, SenderState>,
    tick: u64,
}

impl ReplayFilter {
    /// An empty filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `beacon` if it is fresh (within [`MAX_CLOCK_SKEW_MS`] of
    /// `now_ms`) and its counter is above every counter seen from its sender;
    /// accepted beacons update the filter, rejected ones leave it unchanged.
    pub fn check(&mut self, beacon: &Beacon, now_ms: u64) -> Result<(), BeaconError> {
        let skew_ms = now_ms.abs_diff(beacon.sent_ms);
        if skew_ms > MAX_CLOCK_SKEW_MS {
            return Err(BeaconError::Stale { skew_ms });
        }
        if let Some(state) = self.senders.get(&beacon.sender_id) {
            if beacon.counter <= state.counter {
                return Err(BeaconError::Replay);
            }
        } else if self.senders.len() >= REPLAY_MAX_SENDERS {
            self.evict_oldest();
        }
        self.tick += 1;
        let state = SenderState {
            counter: beacon.counter,
            touched: self.tick,
        };
        self.senders.insert(beacon.sender_id, state);
        Ok(())
    }

    /// Number of senders currently remembered.
    pub fn len(&self) -> usize {
        self.senders.len()
    }

    /// Whether no sender is remembered.
    pub fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .senders
            .iter()
            .min_by_key(|(_, state)| state.touched)
            .map(|(id, _)| *id);
        if let Some(id) = oldest {
            self.senders.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const NOW: u64 = 1_800_000_000_000;

    fn key() -> RealmKey {
        RealmKey::from_passphrase("test realm")
    }

    fn announce() -> BeaconKind {
        BeaconKind::Announce(Announce {
            coordinator_id: 42,
            name: "front office".into(),
            quic_port: 4433,
            quic_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))),
            fingerprint: [7; 32],
            started_ms: NOW - 1000,
            protocol_version: 1,
        })
    }

    fn all_kinds() -> Vec<BeaconKind> {
        vec![
            announce(),
            BeaconKind::Announce(Announce {
                coordinator_id: 0,
                name: String::new(),
                quic_port: 0,
                quic_ip: None,
                fingerprint: [0; 32],
                started_ms: 0,
                protocol_version: 0,
            }),
            BeaconKind::Probe,
            BeaconKind::Presence {
                username: "ana".into(),
                display: "Ana Núñez".into(),
                status: PresenceStatus::Online,
            },
            BeaconKind::Presence {
                username: "bo".into(),
                display: "Bo".into(),
                status: PresenceStatus::Away,
            },
            BeaconKind::Presence {
                username: "cy".into(),
                display: "Cy".into(),
                status: PresenceStatus::Offline,
            },
        ]
    }

    fn beacon(kind: BeaconKind) -> Beacon {
        Beacon {
            sender_id: 0xdead_beef,
            counter: 1,
            sent_ms: NOW,
            kind,
        }
    }

    #[test]
    fn round_trip_every_kind() {
        for kind in all_kinds() {
            let b = beacon(kind);
            let sealed = seal(&key(), &b).unwrap();
            assert!(sealed.len() <= MAX_BEACON_LEN);
            assert_eq!(&sealed[..4], MAGIC);
            assert_eq!(open(&key(), &sealed).unwrap(), b);
        }
    }

    #[test]
    fn nonces_differ() {
        let b = beacon(BeaconKind::Probe);
        assert_ne!(seal(&key(), &b).unwrap(), seal(&key(), &b).unwrap());
    }

    #[test]
    fn wrong_realm_is_auth_error() {
        let sealed = seal(&key(), &beacon(announce())).unwrap();
        let other = RealmKey::from_passphrase(DEFAULT_REALM);
        assert_eq!(open(&other, &sealed), Err(BeaconError::Auth));
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let sealed = seal(&key(), &beacon(announce())).unwrap();
        for pos in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[pos] ^= 1 << bit;
                let err = open(&key(), &bad).unwrap_err();
                if pos < MAGIC.len() {
                    assert_eq!(err, BeaconError::BadMagic, "pos {pos}");
                } else {
                    assert_eq!(err, BeaconError::Auth, "pos {pos}");
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_rejected() {
        let sealed = seal(&key(), &beacon(announce())).unwrap();
        for len in 0..sealed.len() {
            let err = open(&key(), &sealed[..len]).unwrap_err();
            if len < MIN_BEACON_LEN {
                assert_eq!(err, BeaconError::TooShort { len });
            } else {
                assert_eq!(err, BeaconError::Auth, "len {len}");
            }
        }
    }

    #[test]
    fn oversized_is_rejected_before_decrypting() {
        // A valid-looking prefix: if the length check came later, this would be Auth.
        let mut big = MAGIC.to_vec();
        big.resize(MAX_BEACON_LEN + 1, 0);
        assert_eq!(
            open(&key(), &big),
            Err(BeaconError::TooLarge {
                len: MAX_BEACON_LEN + 1
            })
        );
        let exact = vec![0u8; MAX_BEACON_LEN];
        assert_eq!(open(&key(), &exact), Err(BeaconError::BadMagic));
    }

    #[test]
    fn seal_refuses_oversized_beacons() {
        let b = beacon(BeaconKind::Presence {
            username: "x".repeat(MAX_BEACON_LEN),
            display: String::new(),
            status: PresenceStatus::Online,
        });
        assert!(matches!(
            seal(&key(), &b),
            Err(BeaconError::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_is_rejected() {
        let mut state = 0x1234_5678_u32;
        for len in [0, 1, 3, 4, 16, 31, 32, 33, 100, 500, MAX_BEACON_LEN] {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                })
                .collect();
            assert!(open(&key(), &garbage).is_err());
            let mut with_magic = garbage.clone();
            if with_magic.len() >= 4 {
                with_magic[..4].copy_from_slice(MAGIC);
                assert!(open(&key(), &with_magic).is_err());
            }
        }
    }

    #[test]
    fn authenticated_but_malformed_payload() {
        // Seal arbitrary bytes that are not a postcard Beacon with the real key.
        let nonce = [9u8; NONCE_LEN];
        let bogus = [0xffu8; 3];
        let payload = Payload {
            msg: &bogus,
            aad: MAGIC,
        };
        let ct = key()
            .cipher()
            .encrypt(&Nonce::<Aes256Gcm>::from(nonce), payload)
            .unwrap();
        let mut dg = MAGIC.to_vec();
        dg.extend_from_slice(&nonce);
        dg.extend_from_slice(&ct);
        assert!(matches!(open(&key(), &dg), Err(BeaconError::Malformed(_))));
    }

    #[test]
    fn debug_does_not_leak_key() {
        let shown = format!("{:?}", key());
        assert_eq!(shown, "RealmKey(<redacted>)");
    }

    #[test]
    fn replayed_datagram_is_rejected() {
        let mut filter = ReplayFilter::new();
        let sealed = seal(&key(), &beacon(announce())).unwrap();
        let first = open(&key(), &sealed).unwrap();
        assert_eq!(filter.check(&first, NOW), Ok(()));
        let again = open(&key(), &sealed).unwrap();
        assert_eq!(filter.check(&again, NOW), Err(BeaconError::Replay));
        let mut older = first.clone();
        older.counter = 0;
        assert_eq!(filter.check(&older, NOW), Err(BeaconError::Replay));
        let mut next = first.clone();
        next.counter = 2;
        assert_eq!(filter.check(&next, NOW), Ok(()));
        let mut other_sender = first;
        other_sender.sender_id += 1;
        assert_eq!(filter.check(&other_sender, NOW), Ok(()));
    }

    #[test]
    fn old_or_future_timestamp_is_stale() {
        let mut filter = ReplayFilter::new();
        let mut b = beacon(BeaconKind::Probe);
        b.sent_ms = NOW - MAX_CLOCK_SKEW_MS - 1;
        assert_eq!(
            filter.check(&b, NOW),
            Err(BeaconError::Stale {
                skew_ms: MAX_CLOCK_SKEW_MS + 1
            })
        );
        b.sent_ms = NOW + MAX_CLOCK_SKEW_MS + 5;
        assert!(matches!(
            filter.check(&b, NOW),
            Err(BeaconError::Stale { .. })
        ));
        // A stale beacon must not poison the counter.
        assert!(filter.is_empty());
        b.sent_ms = NOW - MAX_CLOCK_SKEW_MS;
        assert_eq!(filter.check(&b, NOW), Ok(()));
    }

    #[test]
    fn filter_memory_is_bounded() {
        let mut filter = ReplayFilter::new();
        let mut b = beacon(BeaconKind::Probe);
        for id in 0..(REPLAY_MAX_SENDERS as u64 + 10) {
            b.sender_id = id;
            assert_eq!(filter.check(&b, NOW), Ok(()));
        }
        assert_eq!(filter.len(), REPLAY_MAX_SENDERS);
        // The most recent sender is still remembered, the first one was evicted.
        assert_eq!(filter.check(&b, NOW), Err(BeaconError::Replay));
        b.sender_id = 0;
        assert_eq!(filter.check(&b, NOW), Ok(()));
    }
}
