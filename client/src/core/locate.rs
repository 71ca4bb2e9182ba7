//! Choosing a coordinator from what the multicast group says.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use lanchat_net::beacon::Announce;

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
}

/// Every client applies the same rule, so all pick the same coordinator when several answer:
/// the one started earliest, then the lowest id. Returns them all in that order (the caller
/// passes over those it refuses, e.g. for a changed fingerprint).
pub fn ranked(candidates: &HashMap<u64, Candidate>) -> Vec<Candidate> {
    let mut all: Vec<Candidate> = candidates.values().cloned().collect();
    all.sort_by_key(|c| (c.announce.started_ms, c.announce.coordinator_id));
    all
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
