//! Choosing the coordinator: pinned first, announcements only as hints.
//!
//! Anyone on the LAN who knows the realm passphrase can announce any name, address, start time
//! and fingerprint, so the core never lets an announcement decide whom it trusts:
//! - a coordinator whose certificate is pinned is used, tried first at the last address that
//!   worked, then at every address announced for a pinned fingerprint (all raced, so a forged
//!   address cannot keep the client from the real one);
//! - a coordinator never seen is used only by an explicit act: the front end approves its
//!   fingerprint ([`crate::Command::AcceptFingerprint`]), or the engine was started to accept
//!   the first one when nothing is pinned yet, or any new one;
//! - an unpinned key announced under a pinned coordinator's name is tried only to read its
//!   rollover statements (nothing is sent before they check out): either the pinned key vouched
//!   for it, or it is refused loudly.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use lanchat_net::beacon::Announce;
use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::PROTOCOL_VERSION;

use super::{Action, Core, Link, Phase, Pinned, CONNECT_TIMEOUT, REPROBE};
use crate::api::{Event, Target};

/// How long to collect announcements after the first unknown one before reporting them (so a
/// front end can show every coordinator that answered).
pub const COLLECT: Duration = Duration::from_millis(150);
/// How long to collect announcements after the first pinned one (the real coordinator answers a
/// probe within milliseconds; its other addresses come with it).
pub const COLLECT_PINNED: Duration = Duration::from_millis(20);
/// Most addresses tried at once.
pub const MAX_TARGETS: usize = 16;
/// Most coordinators remembered from one round of announcements.
pub const MAX_HEARD: usize = 64;
/// Most unpinned keys under a pinned name checked for a rollover in one run.
pub const MAX_ROLLOVER_CHECKS: usize = 4;
/// Time between the starts of two connection attempts in a race.
pub const STAGGER: Duration = Duration::from_millis(250);

/// A coordinator heard on the group, and where to reach it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// What it announced.
    pub announce: Announce,
    /// Its QUIC address.
    pub addr: SocketAddr,
}

impl Candidate {
    /// From an announcement and the datagram's source address.
    pub fn new(announce: Announce, from: SocketAddr) -> Self {
        let ip: IpAddr = announce.quic_ip.unwrap_or(from.ip());
        let addr = SocketAddr::new(ip, announce.quic_port);
        Candidate { announce, addr }
    }

    fn fingerprint(&self) -> Fingerprint {
        Fingerprint(self.announce.fingerprint)
    }
}

/// Among coordinators nobody pinned, the order a front end is shown them (and the one taken
/// when the engine may take the first): the one started earliest, then the lowest id.
pub fn ranked(candidates: &HashMap<u64, Candidate>) -> Vec<Candidate> {
    let mut all: Vec<Candidate> = candidates.values().cloned().collect();
    all.sort_by_key(|c| (c.announce.started_ms, c.announce.coordinator_id));
    all
}

/// One address to try, and what we know of the coordinator there.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub(super) target: Target,
    pub(super) name: String,
    /// The announcement it came from (none for a remembered or explicit address).
    pub(super) announce: Option<(u64, u64)>,
}

/// Announcements heard while locating.
#[derive(Debug)]
pub(super) struct Locating {
    pub(super) heard: HashMap<u64, Candidate>,
    /// When to choose (a moment after the first answer).
    pub(super) choose_at: Option<Instant>,
    /// When to probe again if nobody answered.
    pub(super) reprobe_at: Instant,
    pub(super) warned_version: bool,
}

impl Core {
    /// Starts looking for the coordinator (or connects to the one given).
    pub(super) fn locate(&mut self, now: Instant) {
        self.current = None;
        if let Some(target) = self.config.coordinator.clone() {
            let attempt = Attempt {
                target,
                name: "coordinator".into(),
                announce: None,
            };
            self.connect(vec![attempt], false, now);
            return;
        }
        self.emit(Event::Discovering);
        self.listen(now);
    }

    /// Probes and starts collecting announcements.
    pub(super) fn listen(&mut self, now: Instant) {
        self.phase = Phase::Locating(Locating {
            heard: HashMap::new(),
            choose_at: None,
            reprobe_at: now + REPROBE,
            warned_version: false,
        });
        self.actions.push_back(Action::Probe);
    }

    /// A coordinator's announcement while locating.
    pub(super) fn on_announce(&mut self, a: Announce, from: SocketAddr, now: Instant) {
        let trusted = self.is_trusted(&Fingerprint(a.fingerprint));
        let Phase::Locating(l) = &mut self.phase else {
            return;
        };
        if a.protocol_version != PROTOCOL_VERSION {
            if !l.warned_version {
                l.warned_version = true;
                let message = format!(
                    "coordinator '{}' speaks lanchat protocol {}, this client speaks \
                     {PROTOCOL_VERSION}; one of them needs updating",
                    a.name, a.protocol_version
                );
                self.error(None, message, None);
            }
            return;
        }
        if self.retired.contains(&a.coordinator_id) || l.heard.len() >= MAX_HEARD {
            return;
        }
        l.heard.insert(a.coordinator_id, Candidate::new(a, from));
        let wait = if trusted { COLLECT_PINNED } else { COLLECT };
        let at = now + wait;
        l.choose_at = Some(l.choose_at.map_or(at, |t| t.min(at)));
    }

    /// Nobody answered the probe for a while: with a coordinator pinned, try where it last
    /// worked (multicast may be blocked); else probe again.
    pub(super) fn nobody_answered(&mut self, now: Instant) {
        if self.remembered().is_empty() {
            if let Phase::Locating(l) = &mut self.phase {
                l.reprobe_at = now + REPROBE;
            }
            self.actions.push_back(Action::Probe);
        } else {
            self.choose(now);
        }
    }

    /// Whether a certificate may be used: pinned, or approved during this run, or the engine
    /// was told to take any coordinator.
    pub(super) fn is_trusted(&self, fp: &Fingerprint) -> bool {
        self.pins.is_pinned(fp)
            || self.trusted.contains(fp)
            || self.config.trusted.iter().any(|pin| pin.matches(fp))
            || self.config.accept_new_fingerprint
    }

    /// The last addresses that worked for pinned coordinators, most recently used first, then
    /// the addresses invites gave.
    fn remembered(&self) -> Vec<Attempt> {
        let pinned = self.pins.entries().iter().filter_map(|e| {
            Some(Attempt {
                target: Target {
                    addr: e.last_addr?,
                    pin: Pin::exact(e.fingerprint),
                },
                name: e.name.clone(),
                announce: None,
            })
        });
        let hinted = self.config.hints.iter().map(|target| Attempt {
            target: target.clone(),
            name: "coordinator".into(),
            announce: None,
        });
        pinned.chain(hinted).collect()
    }

    /// Decides what to do with what was heard: connect to trusted coordinators, check a
    /// possible key rollover, or tell the front end about coordinators it must approve.
    ///
    /// In that order of preference: a trusted coordinator that answered (raced with the last
    /// addresses that worked, which come first); a coordinator under a pinned name with a key
    /// we have not checked yet (at most [`MAX_ROLLOVER_CHECKS`] per run, so forged ones cannot
    /// keep us busy); the last addresses that worked, even with nobody answering; and a new
    /// coordinator only when the engine may take one without asking.
    pub(super) fn choose(&mut self, now: Instant) {
        let Phase::Locating(l) = &self.phase else {
            return;
        };
        let heard: Vec<Candidate> = ranked(&l.heard)
            .into_iter()
            .filter(|c| !self.refused.contains(&c.fingerprint()))
            .collect();
        let (trusted, unknown): (Vec<Candidate>, Vec<Candidate>) = heard
            .into_iter()
            .partition(|c| self.is_trusted(&c.fingerprint()));
        self.report_unknown(&unknown);
        let mut attempts = self.remembered();
        attempts.extend(trusted.iter().map(attempt_at));
        dedupe(&mut attempts);
        attempts.truncate(MAX_TARGETS);
        if !trusted.is_empty() {
            self.connect(attempts, false, now);
            return;
        }
        let rollover = unknown.iter().find(|c| {
            matches!(
                self.pins.check(&c.announce.name, &c.fingerprint()),
                Pinned::Changed { .. }
            ) && !self.rollover_checked.contains(&c.fingerprint())
        });
        if let Some(c) = rollover.filter(|_| self.rollover_checked.len() < MAX_ROLLOVER_CHECKS) {
            // Maybe our coordinator with a new key: ask it for its rollover statements,
            // sending nothing else.
            self.rollover_checked.insert(c.fingerprint());
            let attempt = attempt_at(c);
            self.connect(vec![attempt], true, now);
            return;
        }
        if !attempts.is_empty() {
            self.connect(attempts, false, now);
            return;
        }
        let take_first = self.config.trust_first_contact && self.pins.is_empty();
        if let (true, Some(first)) = (take_first, unknown.first()) {
            self.trusted.insert(first.fingerprint());
            let attempt = attempt_at(first);
            self.connect(vec![attempt], false, now);
            return;
        }
        self.phase = Phase::LocateWait {
            until: now + REPROBE,
        };
    }

    /// Tells the front end, once each, about coordinators it has not approved.
    fn report_unknown(&mut self, unknown: &[Candidate]) {
        for c in unknown {
            let fp = c.fingerprint();
            match self.pins.check(&c.announce.name, &fp) {
                // Reported only once its rollover statements failed (or were not checked).
                Pinned::Changed { pinned }
                    if self.rollover_checked.contains(&fp)
                        || self.rollover_checked.len() >= MAX_ROLLOVER_CHECKS =>
                {
                    self.warn_changed(&c.announce.name, &pinned, fp)
                }
                Pinned::New if self.notified.insert(fp) => {
                    self.emit(Event::CoordinatorUnknown {
                        name: c.announce.name.clone(),
                        addr: c.addr,
                        fingerprint: fp,
                    });
                }
                _ => {}
            }
        }
    }

    /// Warns once that `name` presents `offered` while `pinned` is pinned for it.
    pub(super) fn warn_changed(&mut self, name: &str, pinned: &str, offered: Fingerprint) {
        if !self.notified.insert(offered) {
            return;
        }
        self.emit(Event::FingerprintChanged {
            name: name.to_string(),
            pinned: pinned.to_string(),
            offered,
        });
        let message = format!(
            "refusing coordinator '{name}': it presents fingerprint {offered} but {pinned} is \
             pinned, and no statement signed by the pinned key hands over to it. If it was \
             reinstalled without its old key, accept the new fingerprint \
             (--accept-new-fingerprint); otherwise someone may be impersonating it"
        );
        self.error(None, message, None);
    }

    /// Asks the driver to race connections to `attempts` (in order, staggered).
    /// `verify_only`: the coordinator is not trusted yet; only its rollover statements are read.
    pub(super) fn connect(&mut self, attempts: Vec<Attempt>, verify_only: bool, now: Instant) {
        let targets = attempts.iter().map(|a| a.target.clone()).collect();
        self.actions.push_back(Action::Connect(targets));
        let race = STAGGER * (attempts.len().saturating_sub(1) as u32);
        self.phase = Phase::Connecting {
            attempts,
            verify_only,
            deadline: now + CONNECT_TIMEOUT + race,
        };
    }

    /// The connection to `addr` (presenting `fingerprint`) won the race.
    pub(super) fn connected(
        &mut self,
        addr: SocketAddr,
        fingerprint: Fingerprint,
        attempts: Vec<Attempt>,
        verify_only: bool,
    ) -> Link {
        let attempt = attempts
            .iter()
            .find(|a| a.target.addr == addr && a.target.pin.matches(&fingerprint))
            .or(attempts.first())
            .cloned();
        let (name, announce) = attempt
            .map(|a| (a.name, a.announce))
            .unwrap_or_else(|| ("coordinator".into(), None));
        self.current = announce;
        let first_use = !self.pins.is_pinned(&fingerprint);
        if !verify_only {
            self.emit(Event::CoordinatorFound {
                name: name.clone(),
                addr,
                fingerprint,
                first_use,
            });
        }
        Link {
            addr,
            fingerprint,
            name,
            verify_only,
            pending: HashMap::new(),
            logged_in: false,
            ping_deadline: None,
        }
    }
}

fn attempt_at(c: &Candidate) -> Attempt {
    Attempt {
        target: Target {
            addr: c.addr,
            pin: Pin::exact(c.fingerprint()),
        },
        name: c.announce.name.clone(),
        announce: Some((c.announce.coordinator_id, c.announce.started_ms)),
    }
}

/// Drops repeated (address, fingerprint) pairs, keeping the first of each.
fn dedupe(attempts: &mut Vec<Attempt>) {
    let mut seen = std::collections::HashSet::new();
    attempts.retain(|a| seen.insert((a.target.addr, a.target.pin.bytes().to_vec())));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: u64, started_ms: u64) -> (u64, Candidate) {
        let a = Announce {
            coordinator_id: id,
            name: format!("c{id}"),
            quic_port: 7000,
            quic_ip: None,
            fingerprint: [0; 32],
            started_ms,
            protocol_version: 1,
        };
        (id, Candidate::new(a, "127.0.0.1:5007".parse().unwrap()))
    }

    #[test]
    fn earliest_start_then_lowest_id() {
        let set: HashMap<_, _> = [cand(5, 200), cand(9, 100), cand(3, 100)].into();
        let ids: Vec<u64> = ranked(&set)
            .iter()
            .map(|c| c.announce.coordinator_id)
            .collect();
        assert_eq!(ids, [3, 9, 5]);
        let c = &ranked(&set)[0];
        assert_eq!(c.addr, "127.0.0.1:7000".parse().unwrap());
    }
}
