//! The multicast socket that carries [`Beacon`]s between lanchat processes.
//!
//! # Why it is built this way
//!
//! * **One receive socket, bound to `group:port` with `SO_REUSEADDR` +
//!   `SO_REUSEPORT`.** Any number of lanchat processes on one host (a
//!   coordinator and several clients, or tests) can bind the same port, and the
//!   kernel hands every multicast datagram to each of them. Binding to the group
//!   address rather than `0.0.0.0` means unicast traffic to the port never
//!   arrives, and `IP_MULTICAST_ALL = false` means groups joined by *other*
//!   sockets of the process do not leak in either.
//! * **One send socket per interface**, each with `IP_MULTICAST_IF` set. A
//!   multicast send otherwise leaves through the default route only, so on a
//!   laptop with Wi-Fi and Ethernet half the office would never hear us.
//!   `IP_MULTICAST_LOOP` is on so processes on the same host hear each other;
//!   the TTL defaults to 1 so beacons never cross a router.
//! * **Receive buffer larger than [`MAX_BEACON_LEN`]**, so an oversized
//!   datagram is seen (and counted) as oversized instead of silently truncated
//!   into something that merely fails authentication.
//! * **Bad datagrams never surface.** [`Discovery::recv`] drops, and counts in
//!   [`DropStats`], everything that is not a fresh, authentic beacon of our
//!   realm, plus the process's own beacons echoed back by multicast loop.
//!
//! Beacons are hints only; the coordinator's identity is verified by the TLS
//! fingerprint when connecting.
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use crate::beacon::{
    self, Beacon, BeaconError, BeaconKind, RealmKey, ReplayFilter, MAX_BEACON_LEN,
};

/// Default multicast group of lanchat beacons.
pub const DEFAULT_GROUP: Ipv4Addr = Ipv4Addr::new(224, 111, 1, 1);

/// Default UDP port of lanchat beacons.
pub const DEFAULT_PORT: u16 = 5007;

/// Ports that tests and benches pick a random multicast port from. Below Linux's default
/// ephemeral range (32768–60999), where every socket bound to port 0 lands: a pick from that
/// range could collide with one of the test's own QUIC sockets and fail to bind ("Address
/// already in use"), as seen once in a full test run.
pub const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// Default multicast TTL: stay on the local link.
pub const DEFAULT_TTL: u32 = 1;

/// Size of the receive buffer; larger than [`MAX_BEACON_LEN`] so oversized
/// datagrams are detected as such.
const RECV_BUF_LEN: usize = 2048;
const _: () = assert!(RECV_BUF_LEN > MAX_BEACON_LEN);

/// Where and how to send and receive beacons.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// Multicast group.
    pub group: Ipv4Addr,
    /// UDP port.
    pub port: u16,
    /// Interface addresses to join and send on; empty = every IPv4 interface
    /// that can multicast (see [`DiscoveryConfig::resolved_ifaces`]).
    pub ifaces: Vec<Ipv4Addr>,
    /// Multicast TTL (default 1 = local link only; 0 = this host only).
    pub ttl: u32,
    /// Key that seals this realm's beacons.
    pub realm: RealmKey,
}

impl DiscoveryConfig {
    /// Default group, port and TTL on every interface.
    pub fn new(realm: RealmKey) -> Self {
        Self {
            group: DEFAULT_GROUP,
            port: DEFAULT_PORT,
            ifaces: Vec::new(),
            ttl: DEFAULT_TTL,
            realm,
        }
    }

    /// The interface addresses to use: [`Self::ifaces`] if given, otherwise
    /// every non-loopback IPv4 address of an interface that is not known to be
    /// down, or `127.0.0.1` if there is none (single-host use).
    pub fn resolved_ifaces(&self) -> Result<Vec<Ipv4Addr>, DiscoveryError> {
        if !self.ifaces.is_empty() {
            return Ok(dedup(self.ifaces.clone()));
        }
        let found = dedup(system_ifaces()?);
        if found.is_empty() {
            return Ok(vec![Ipv4Addr::LOCALHOST]);
        }
        Ok(found)
    }
}

/// Non-loopback IPv4 addresses of interfaces that are not known to be down.
fn system_ifaces() -> Result<Vec<Ipv4Addr>, DiscoveryError> {
    use if_addrs::IfOperStatus;
    let addrs = if_addrs::get_if_addrs()?
        .into_iter()
        .filter(|i| {
            !matches!(
                i.oper_status,
                IfOperStatus::Down | IfOperStatus::NotPresent | IfOperStatus::LowerLayerDown
            )
        })
        .filter_map(|i| match i.ip() {
            IpAddr::V4(ip) if !ip.is_loopback() => Some(ip),
            _ => None,
        })
        .collect();
    Ok(addrs)
}

fn dedup(mut addrs: Vec<Ipv4Addr>) -> Vec<Ipv4Addr> {
    let mut seen = Vec::with_capacity(addrs.len());
    addrs.retain(|a| {
        let new = !seen.contains(a);
        seen.push(*a);
        new
    });
    addrs
}

/// Counts of received datagrams by fate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropStats {
    /// Good beacons returned by [`Discovery::recv`].
    pub accepted: u64,
    /// Datagrams longer than [`MAX_BEACON_LEN`].
    pub too_large: u64,
    /// Too short, wrong magic, or undecodable payload.
    pub malformed: u64,
    /// Failed authentication: other realm or tampered.
    pub auth: u64,
    /// Counter did not increase (duplicate or replay).
    pub replay: u64,
    /// Timestamp too far from the local clock.
    pub stale: u64,
}

/// Lock-free counters behind [`DropStats`].
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    too_large: AtomicU64,
    malformed: AtomicU64,
    auth: AtomicU64,
    replay: AtomicU64,
    stale: AtomicU64,
}

impl Counters {
    fn count_drop(&self, err: &BeaconError) {
        let counter = match err {
            BeaconError::TooLarge { .. } => &self.too_large,
            BeaconError::TooShort { .. } | BeaconError::BadMagic | BeaconError::Malformed(_) => {
                &self.malformed
            }
            BeaconError::Auth => &self.auth,
            BeaconError::Replay => &self.replay,
            BeaconError::Stale { .. } => &self.stale,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> DropStats {
        DropStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            too_large: self.too_large.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            auth: self.auth.load(Ordering::Relaxed),
            replay: self.replay.load(Ordering::Relaxed),
            stale: self.stale.load(Ordering::Relaxed),
        }
    }
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A socket operation failed.
    #[error("discovery socket error: {0}")]
    Io(#[from] std::io::Error),
    /// No interface could be joined or sent on.
    #[error("no usable IPv4 interface for multicast discovery")]
    NoInterface,
    /// A beacon could not be sealed (e.g. too large).
    #[error("cannot build beacon: {0}")]
    Beacon(#[from] BeaconError),
}

/// A send socket bound to one interface.
#[derive(Debug)]
struct IfaceSender {
    iface: Ipv4Addr,
    socket: UdpSocket,
}

/// Sends and receives beacons on the multicast group. Methods take `&self`;
/// share it behind an `Arc`.
#[derive(Debug)]
pub struct Discovery {
    recv: UdpSocket,
    senders: Vec<IfaceSender>,
    group: SocketAddrV4,
    realm: RealmKey,
    sender_id: u64,
    /// Last counter used; the lock also serialises sends so counters leave in order.
    counter: tokio::sync::Mutex<u64>,
    filter: Mutex<ReplayFilter>,
    counters: Counters,
}

impl Discovery {
    /// Joins the group on every configured interface and prepares one send
    /// socket per interface. Must be called inside a tokio runtime.
    ///
    /// Interfaces that cannot be joined are skipped with a warning; it is an
    /// error only if none works.
    pub fn bind(cfg: DiscoveryConfig) -> Result<Discovery, DiscoveryError> {
        let ifaces = cfg.resolved_ifaces()?;
        let recv = recv_socket(cfg.group, cfg.port)?;
        let mut senders = Vec::with_capacity(ifaces.len());
        let mut last_err = None;
        for iface in ifaces {
            match join_and_sender(&recv, cfg.group, iface, cfg.ttl) {
                Ok(socket) => senders.push(socket),
                Err(e) => {
                    tracing::warn!(%iface, error = %e, "multicast discovery: skipping interface");
                    last_err = Some(e);
                }
            }
        }
        if senders.is_empty() {
            return Err(last_err.map_or(DiscoveryError::NoInterface, DiscoveryError::Io));
        }
        recv.set_nonblocking(true)?;
        let sender_id = rand::random::<u64>();
        tracing::debug!(
            group = %cfg.group, port = cfg.port, ifaces = ?senders.iter().map(|s| s.iface).collect::<Vec<_>>(),
            sender_id, "multicast discovery bound"
        );
        Ok(Discovery {
            recv: UdpSocket::from_std(recv.into())?,
            senders,
            group: SocketAddrV4::new(cfg.group, cfg.port),
            realm: cfg.realm,
            sender_id,
            counter: tokio::sync::Mutex::new(0),
            filter: Mutex::new(ReplayFilter::new()),
            counters: Counters::default(),
        })
    }

    /// This process's random sender id (beacons carrying it are dropped on receipt).
    pub fn sender_id(&self) -> u64 {
        self.sender_id
    }

    /// The interfaces actually joined and sent on.
    pub fn ifaces(&self) -> Vec<Ipv4Addr> {
        self.senders.iter().map(|s| s.iface).collect()
    }

    /// Seals `kind` with our sender id, the next counter and the current time,
    /// and sends it once on every interface. Fails only if no interface could
    /// send it.
    pub async fn send(&self, kind: BeaconKind) -> Result<(), DiscoveryError> {
        let mut counter = self.counter.lock().await;
        *counter += 1;
        let beacon = Beacon {
            sender_id: self.sender_id,
            counter: *counter,
            sent_ms: now_ms(),
            kind,
        };
        let datagram = beacon::seal(&self.realm, &beacon)?;
        let mut sent_any = false;
        let mut last_err = None;
        for sender in &self.senders {
            match sender.socket.send_to(&datagram, self.group).await {
                Ok(_) => sent_any = true,
                Err(e) => {
                    tracing::debug!(iface = %sender.iface, error = %e, "beacon send failed");
                    last_err = Some(e);
                }
            }
        }
        match last_err {
            Some(e) if !sent_any => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Waits for the next fresh, authentic beacon from another process and
    /// returns it with its source address. Everything else is dropped and
    /// counted in [`Discovery::stats`]. Cancel-safe.
    pub async fn recv(&self) -> Result<(Beacon, SocketAddr), DiscoveryError> {
        let mut buf = [0u8; RECV_BUF_LEN];
        loop {
            let (len, src) = self.recv.recv_from(&mut buf).await?;
            let datagram = buf.get(..len).unwrap_or(&buf);
            match self.accept(datagram) {
                Ok(Some(beacon)) => return Ok((beacon, src)),
                Ok(None) => {}
                Err(e) => {
                    tracing::trace!(%src, error = %e, "dropped discovery datagram");
                    self.counters.count_drop(&e);
                }
            }
        }
    }

    /// Counts of received datagrams so far.
    pub fn stats(&self) -> DropStats {
        self.counters.snapshot()
    }

    /// `Ok(None)` for our own beacons, `Ok(Some)` for good ones.
    fn accept(&self, datagram: &[u8]) -> Result<Option<Beacon>, BeaconError> {
        let beacon = beacon::open(&self.realm, datagram)?;
        if beacon.sender_id == self.sender_id {
            return Ok(None);
        }
        self.filter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(&beacon, now_ms())?;
        self.counters.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(Some(beacon))
    }
}

/// The shared receive socket: reusable by every process on the host, bound so
/// that only group traffic arrives.
fn recv_socket(group: Ipv4Addr, port: u16) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    #[cfg(target_os = "linux")]
    socket.set_multicast_all_v4(false)?;
    // Unix filters by the bound group address; Windows cannot bind to a group.
    let bind_ip = if cfg!(windows) {
        Ipv4Addr::UNSPECIFIED
    } else {
        group
    };
    socket.bind(&SocketAddrV4::new(bind_ip, port).into())?;
    Ok(socket)
}

/// Joins `group` on `iface` and creates the matching send socket.
fn join_and_sender(
    recv: &Socket,
    group: Ipv4Addr,
    iface: Ipv4Addr,
    ttl: u32,
) -> std::io::Result<IfaceSender> {
    recv.join_multicast_v4(&group, &iface)?;
    let socket = send_socket(iface, ttl)?;
    Ok(IfaceSender { iface, socket })
}

/// A socket that sends multicast out of `iface` only.
fn send_socket(iface: Ipv4Addr, ttl: u32) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_multicast_if_v4(&iface)?;
    socket.set_multicast_ttl_v4(ttl)?;
    socket.set_multicast_loop_v4(true)?;
    socket.bind(&SocketAddrV4::new(iface, 0).into())?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beacon::Announce;
    use crate::protocol::PresenceStatus;
    use rand::RngExt;
    use std::time::Duration;
    use tokio::time::timeout;

    const WAIT: Duration = Duration::from_secs(5);

    /// Loopback only, TTL 0, random port and realm: nothing leaves this host.
    fn loopback_config() -> (DiscoveryConfig, String) {
        let mut rng = rand::rng();
        let passphrase = format!("test-realm-{}", rng.random::<u64>());
        let mut cfg = DiscoveryConfig::new(RealmKey::from_passphrase(&passphrase));
        cfg.ifaces = vec![Ipv4Addr::LOCALHOST];
        cfg.ttl = 0;
        cfg.port = rng.random_range(TEST_PORTS);
        (cfg, passphrase)
    }

    fn announce() -> BeaconKind {
        BeaconKind::Announce(Announce {
            coordinator_id: 7,
            name: "test coordinator".into(),
            quic_port: 4433,
            quic_ip: None,
            fingerprint: [3; 32],
            started_ms: now_ms(),
            protocol_version: 1,
        })
    }

    async fn recv_within(d: &Discovery) -> (Beacon, SocketAddr) {
        timeout(WAIT, d.recv())
            .await
            .expect("timed out waiting for a beacon")
            .expect("recv failed")
    }

    #[tokio::test]
    async fn every_process_on_the_host_hears_a_beacon_but_not_the_sender() {
        let (cfg, _) = loopback_config();
        let a = Discovery::bind(cfg.clone()).unwrap();
        let b = Discovery::bind(cfg.clone()).unwrap();
        let c = Discovery::bind(cfg).unwrap();
        assert_eq!(a.ifaces(), vec![Ipv4Addr::LOCALHOST]);

        a.send(announce()).await.unwrap();
        for receiver in [&b, &c] {
            let (beacon, src) = recv_within(receiver).await;
            assert_eq!(beacon.sender_id, a.sender_id());
            assert_eq!(beacon.counter, 1);
            assert_eq!(beacon.kind, announce_with_same_time(&beacon));
            assert_eq!(src.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        }

        // `a` heard its own Announce first; it must skip it and return b's beacon.
        let presence = BeaconKind::Presence {
            username: "bo".into(),
            display: "Bo".into(),
            status: PresenceStatus::Away,
        };
        b.send(presence.clone()).await.unwrap();
        let (beacon, _) = recv_within(&a).await;
        assert_eq!(beacon.sender_id, b.sender_id());
        assert_eq!(beacon.kind, presence);
        assert_eq!(
            a.stats(),
            DropStats {
                accepted: 1,
                ..DropStats::default()
            }
        );
    }

    /// The Announce built by `announce()` with the timestamp of the received one.
    fn announce_with_same_time(received: &Beacon) -> BeaconKind {
        let BeaconKind::Announce(got) = &received.kind else {
            panic!("expected an Announce, got {:?}", received.kind);
        };
        let BeaconKind::Announce(mut want) = announce() else {
            unreachable!()
        };
        want.started_ms = got.started_ms;
        BeaconKind::Announce(want)
    }

    /// A raw sender on loopback with TTL 0, like a misbehaving peer.
    fn raw_sender() -> std::net::UdpSocket {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
        socket.set_multicast_ttl_v4(0).unwrap();
        socket.set_multicast_loop_v4(true).unwrap();
        socket
            .bind(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0).into())
            .unwrap();
        socket.into()
    }

    fn foreign_beacon(counter: u64) -> Beacon {
        Beacon {
            sender_id: 0x5eed,
            counter,
            sent_ms: now_ms(),
            kind: BeaconKind::Probe,
        }
    }

    #[tokio::test]
    async fn bad_datagrams_are_dropped_and_counted() {
        let (cfg, passphrase) = loopback_config();
        let group = SocketAddrV4::new(cfg.group, cfg.port);
        let realm = cfg.realm.clone();
        let d = Discovery::bind(cfg).unwrap();
        let raw = raw_sender();

        let other_realm = RealmKey::from_passphrase(&format!("{passphrase}-other"));
        let first = beacon::seal(&realm, &foreign_beacon(1)).unwrap();
        let mut stale = foreign_beacon(2);
        stale.sent_ms -= 60 * 60 * 1000;
        let datagrams: Vec<Vec<u8>> = vec![
            b"definitely not a beacon".to_vec(),
            vec![0u8; MAX_BEACON_LEN + 1],
            beacon::seal(&other_realm, &foreign_beacon(1)).unwrap(),
            beacon::seal(&realm, &stale).unwrap(),
            first.clone(),
        ];
        for dg in &datagrams {
            raw.send_to(dg, group).unwrap();
        }
        let (beacon, _) = recv_within(&d).await;
        assert_eq!(beacon, foreign_beacon_at(1, &beacon));
        assert_eq!(
            d.stats(),
            DropStats {
                accepted: 1,
                too_large: 1,
                malformed: 1,
                auth: 1,
                replay: 0,
                stale: 1,
            }
        );

        raw.send_to(&first, group).unwrap();
        raw.send_to(&beacon::seal(&realm, &foreign_beacon(3)).unwrap(), group)
            .unwrap();
        let (beacon, _) = recv_within(&d).await;
        assert_eq!(beacon.counter, 3);
        assert_eq!(
            d.stats(),
            DropStats {
                accepted: 2,
                too_large: 1,
                malformed: 1,
                auth: 1,
                replay: 1,
                stale: 1,
            }
        );
    }

    fn foreign_beacon_at(counter: u64, received: &Beacon) -> Beacon {
        Beacon {
            sent_ms: received.sent_ms,
            ..foreign_beacon(counter)
        }
    }

    #[test]
    fn explicit_ifaces_are_used_as_given() {
        let (mut cfg, _) = loopback_config();
        cfg.ifaces = vec![Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST];
        assert_eq!(cfg.resolved_ifaces().unwrap(), vec![Ipv4Addr::LOCALHOST]);
    }

    #[test]
    fn defaults() {
        let cfg = DiscoveryConfig::new(RealmKey::from_passphrase(beacon::DEFAULT_REALM));
        assert_eq!(cfg.group, DEFAULT_GROUP);
        assert_eq!(cfg.port, DEFAULT_PORT);
        assert_eq!(cfg.ttl, 1);
        assert!(cfg.ifaces.is_empty());
        assert!(!format!("{cfg:?}").contains("realm: RealmKey(["));
    }
}
