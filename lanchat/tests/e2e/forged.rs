//! Forged discovery and rogue coordinators on the loopback test LAN, tried as an insider who
//! knows the realm passphrase would: genuine `lanchat coordinator` processes of their own,
//! announced by a forger written here with whatever name, address, key and start time suits
//! the attack; and a flood of garbage datagrams. Each rogue logs every hello it gets, and the
//! tests assert it got none. (Beacons of another realm being ignored is
//! `discovery::a_coordinator_in_another_realm_is_not_heard`.)
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lanchat_client::{Command, Event};
use lanchat_net::beacon::{Announce, BeaconKind, MAGIC};
use lanchat_net::discovery::{Discovery, DEFAULT_GROUP};
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::protocol::{PresenceStatus, PROTOCOL_VERSION};
use socket2::{Domain, Protocol, Socket, Type};

use crate::support::*;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn fingerprint(full_hex: &str) -> [u8; 32] {
    let bytes = hex::decode(full_hex.replace(['-', ':'], "")).expect("hex fingerprint");
    bytes.try_into().expect("32 bytes")
}

/// Someone on the LAN who knows the realm passphrase and claims to be the coordinator `name`,
/// reachable at `addr` with `fingerprint`.
struct Forger {
    runtime: tokio::runtime::Runtime,
    discovery: Discovery,
    name: String,
    addr: SocketAddr,
    fingerprint: [u8; 32],
}

impl Forger {
    fn new(lan: &Lan, name: &str, addr: SocketAddr, fingerprint: [u8; 32]) -> Forger {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let discovery = runtime
            .block_on(async { Discovery::bind(lan.discovery()) })
            .expect("bind discovery");
        Forger {
            runtime,
            discovery,
            name: name.into(),
            addr,
            fingerprint,
        }
    }

    fn announce_kind(&self, started_ms: u64) -> BeaconKind {
        BeaconKind::Announce(Announce {
            coordinator_id: rand::random(),
            name: self.name.clone(),
            quic_port: self.addr.port(),
            quic_ip: Some(self.addr.ip()),
            fingerprint: self.fingerprint,
            started_ms,
            protocol_version: PROTOCOL_VERSION,
        })
    }

    /// One forged announcement, as a coordinator started at `started_ms` would send it.
    fn announce(&self, started_ms: u64) {
        let kind = self.announce_kind(started_ms);
        self.runtime.block_on(self.discovery.send(kind)).unwrap();
    }

    /// A presence beacon claiming `username` is online, as coordinators used to send them.
    fn presence(&self, username: &str) {
        let kind = BeaconKind::Presence {
            username: username.into(),
            display: username.into(),
            status: PresenceStatus::Online,
        };
        self.runtime.block_on(self.discovery.send(kind)).unwrap();
    }

    /// Waits until this forger's socket hears a beacon `pick` accepts from someone else: what
    /// any member of the realm hears, clients included.
    fn hear(&self, what: &str, pick: impl Fn(&BeaconKind) -> bool) {
        self.runtime.block_on(async {
            let heard = tokio::time::timeout(PATIENCE, async {
                loop {
                    match self.discovery.recv().await {
                        Ok((beacon, _)) if pick(&beacon.kind) => return,
                        _ => {}
                    }
                }
            });
            heard
                .await
                .unwrap_or_else(|_| panic!("no {what} on the group"));
        })
    }

    /// Answers every probe at once with a forged announcement claiming the earliest start (so
    /// that, by the "earliest coordinator wins" rule, it is the one clients would choose),
    /// until `stop` is dropped.
    fn answer_probes(
        self,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            self.runtime.block_on(async {
                loop {
                    tokio::select! {
                        _ = &mut stop => return,
                        heard = self.discovery.recv() => {
                            if matches!(heard, Ok((ref b, _)) if b.kind == BeaconKind::Probe) {
                                let _ = self.discovery.send(self.announce_kind(1)).await;
                            }
                        }
                    }
                }
            })
        })
    }
}

/// Collects `client`'s events for `quiet` (a bounded absence check: what must not happen has
/// had that long), failing at once on a disconnection.
fn quiet_for(client: &mut Client, quiet: std::time::Duration) {
    let until = Instant::now() + quiet;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match client.engine.events().recv_timeout(left) {
            Ok(e @ Event::Disconnected { .. }) => panic!("the session ended: {e:?}"),
            Ok(e) => client.seen.push(e),
            Err(_) => break,
        }
    }
}

/// Whether any client ever said hello to the coordinator whose log is `log` (see
/// [`CoordinatorProcess::start_logged`]): a client that never greets it never sends it a
/// password or a session token either.
fn was_greeted(log: &std::path::Path) -> bool {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("client said hello")
}

fn logs_in(client: &mut Client) -> SocketAddr {
    client.send(Command::Login {
        username: client.name.clone(),
        password: PASSWORD.into(),
    });
    let addr = client.wait("connected", |e| match e {
        Event::Connected { addr, .. } => Some(*addr),
        _ => None,
    });
    client.ready();
    addr
}

/// Finding 1: a client that pinned `test-office` is offered a genuine coordinator under a new
/// name (`test-office-2`) whose announcements answer every probe first and claim the earliest
/// start. It tells the person about it and logs in on the real one; the rogue never hears from
/// it.
#[test]
fn a_pinned_client_never_greets_a_new_coordinator_claiming_an_earlier_start() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let real_log = dir.path().join("real.log");
    let coord = CoordinatorProcess::start_logged(
        &lan,
        &dir.path().join("coord"),
        "test-office",
        &[],
        &real_log,
    );
    let log = dir.path().join("rogue.log");
    let rogue = CoordinatorProcess::start_logged(
        &lan,
        &dir.path().join("rogue"),
        "test-office-2",
        &["--no-discovery"],
        &log,
    );
    let rogue_fp = Fingerprint(fingerprint(&rogue.fingerprint));
    let alice = Client::register(&lan, "alice");
    let keep = alice.data;
    drop(alice.engine);

    let forger = Forger::new(&lan, "test-office-2", rogue.addr, rogue_fp.0);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let answering = forger.answer_probes(stopped);
    let began = Instant::now();
    let mut again = Client::start_strict(&lan, "alice", keep);
    assert_eq!(logs_in(&mut again), coord.addr);
    eprintln!(
        "rogue under a new name: the pinned client logged in on the real coordinator after {:?}",
        began.elapsed()
    );
    let reported = again.seen_or_wait("the rogue reported", |e| match e {
        Event::CoordinatorUnknown {
            name, fingerprint, ..
        } if *fingerprint == rogue_fp => Some(name.clone()),
        _ => None,
    });
    assert_eq!(reported, "test-office-2");
    drop(stop);
    answering.join().unwrap();
    assert!(
        was_greeted(&real_log),
        "the log shows greetings (or this test proves nothing)"
    );
    assert!(!was_greeted(&log), "the rogue coordinator was contacted");
}

/// Finding 2: a forged "restart" of the real coordinator (its name, key and address, a later
/// start) and a decoy announcing itself under the real name do not end a working session, and
/// nothing ever reaches the decoy.
#[test]
fn a_forged_restart_neither_ends_the_session_nor_leads_to_a_decoy() {
    let (lan, coord, dir) = office();
    let log = dir.path().join("decoy.log");
    let decoy = CoordinatorProcess::start_logged(
        &lan,
        &dir.path().join("decoy"),
        "test-office",
        &["--no-discovery"],
        &log,
    );
    let real_fp = fingerprint(&coord.fingerprint);
    let decoy_fp = fingerprint(&decoy.fingerprint);
    let mut alice = Client::register(&lan, "alice");
    let restart = Forger::new(&lan, "test-office", coord.addr, real_fp);
    let lure = Forger::new(&lan, "test-office", decoy.addr, decoy_fp);
    restart.announce(now_ms() + 1000);
    lure.announce(1);
    // The lure's socket hears the forged restart, as alice's does.
    lure.hear("forged restart", |k| {
        matches!(k, BeaconKind::Announce(a) if a.fingerprint == real_fp && a.started_ms > now_ms())
    });
    // The client checks the claim with a ping on its connection (answered at once), so it
    // stays past the ping's deadline.
    quiet_for(&mut alice, lanchat_client::core::PING_TIMEOUT * 2);
    alice.say_acked(&general(), "still on the real coordinator");
    assert!(!was_greeted(&log), "the decoy was contacted");
}

/// Finding 8: "forged presence beacons from a machine with no account show a nonexistent
/// "CEO" online". A realm member with no account multicasts that the CEO (and alice's
/// colleague bob, before he is there) is online: no client reports it; presence comes from
/// the coordinator, which knows no CEO.
#[test]
fn a_forged_presence_beacon_never_shows_anyone_online() {
    let (lan, coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let forger = Forger::new(
        &lan,
        "test-office",
        coord.addr,
        fingerprint(&coord.fingerprint),
    );
    let ear = Forger::new(&lan, "ear", coord.addr, [0; 32]);
    for _ in 0..5 {
        forger.presence("CEO");
    }
    forger.presence("bob");
    ear.hear(
        "the forged presence",
        |k| matches!(k, BeaconKind::Presence { username, .. } if username == "bob"),
    );
    // Then the real bob logs in: alice hears of him from the coordinator, once.
    let _bob = Client::register(&lan, "bob");
    alice.wait("bob online", |e| match e {
        Event::Presence(u) if u.username == "bob" => Some(()),
        _ => None,
    });
    quiet_for(&mut alice, std::time::Duration::from_secs(1));
    alice.send(Command::Users);
    let users = alice.wait("users", |e| match e {
        Event::Users(users) => Some(users.clone()),
        _ => None,
    });
    assert!(users.iter().all(|u| u.username != "CEO"), "{users:?}");
    let presence: Vec<_> = alice
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::Presence(u) => Some(u.username.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(presence, ["alice", "bob"], "{:#?}", alice.seen);
}

/// Finding 3: announcements with the real name and key but dead addresses, answering every
/// probe first, do not keep a pinned client from its coordinator — also when the coordinator
/// itself moved to another port (the last address that worked is dead too).
#[test]
fn forged_addresses_for_the_pinned_key_do_not_keep_a_client_away() {
    let (lan, coord, _dir) = office();
    let real_fp = fingerprint(&coord.fingerprint);
    let alice = Client::register(&lan, "alice");
    let keep = alice.data;
    drop(alice.engine);
    // Nothing listens there: a dead address, as a forger would give.
    let dead: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let forger = Forger::new(&lan, "test-office", dead, real_fp);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let answering = forger.answer_probes(stopped);

    let began = Instant::now();
    let mut again = Client::start_strict(&lan, "alice", keep);
    assert_eq!(logs_in(&mut again), coord.addr);
    eprintln!(
        "forged dead addresses: a pinned client reached the real coordinator in {:?}",
        began.elapsed()
    );
    let keep = again.data;
    drop(again.engine);

    // The coordinator moves to another port: its old address is dead as well.
    let coord = coord.restart();
    let began = Instant::now();
    let mut third = Client::start_strict(&lan, "alice", keep);
    assert_eq!(logs_in(&mut third), coord.addr);
    eprintln!(
        "forged dead addresses, coordinator moved: reached it in {:?}",
        began.elapsed()
    );
    drop(stop);
    answering.join().unwrap();
}

/// A client that has nothing pinned and was not told to trust the first coordinator shows
/// every coordinator that answers and uses none until the person picks one.
#[test]
fn a_fresh_client_asks_before_trusting_anyone() {
    let (lan, coord, dir) = office();
    let log = dir.path().join("rogue.log");
    let rogue = CoordinatorProcess::start_logged(
        &lan,
        &dir.path().join("rogue"),
        "test-office",
        &["--no-discovery"],
        &log,
    );
    let real_fp = Fingerprint(fingerprint(&coord.fingerprint));
    let rogue_fp = Fingerprint(fingerprint(&rogue.fingerprint));
    let forger = Forger::new(&lan, "test-office", rogue.addr, rogue_fp.0);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let answering = forger.answer_probes(stopped);

    let mut fresh = Client::start_strict(&lan, "fresh", tempfile::tempdir().unwrap());
    let mut reported = std::collections::HashSet::new();
    while reported.len() < 2 {
        let fp = fresh.wait("coordinators reported", |e| match e {
            Event::CoordinatorUnknown { fingerprint, .. } => Some(*fingerprint),
            Event::Connected { .. } => panic!("connected without being told to"),
            _ => None,
        });
        reported.insert(fp);
    }
    assert_eq!(reported, [real_fp, rogue_fp].into());
    fresh.send(Command::AcceptFingerprint {
        name: "test-office".into(),
        fingerprint: real_fp,
    });
    fresh.send(Command::Register {
        username: "fresh".into(),
        password: PASSWORD.into(),
    });
    let addr = fresh.wait("connected", |e| match e {
        Event::Connected { addr, .. } => Some(*addr),
        _ => None,
    });
    assert_eq!(addr, coord.addr);
    fresh.ready();
    drop(stop);
    answering.join().unwrap();
    assert!(!was_greeted(&log), "the rogue coordinator was contacted");
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After "pid (comm)": state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    let per_second: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    ticks as f64 / per_second as f64
}

/// Datagrams the kernel dropped for the process's sockets on `port` (full receive buffer): the
/// `drops` column of /proc/PID/net/udp for the sockets that process holds.
fn udp_drops(pid: u32, port: u16) -> u64 {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/udp")).unwrap();
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 12 && f[1].ends_with(&port) && inodes.iter().any(|i| i == f[9]))
        .map(|f| f[12].parse::<u64>().unwrap())
        .sum()
}

/// Sends `count` random datagrams of random sizes (0–1500 bytes; a quarter start with the
/// beacon magic, so they reach the decryption step) to the LAN's group and port, from a plain
/// socket on loopback with TTL 0. Tells `started` after the first tenth.
fn flood(lan: &Lan, count: usize, started: mpsc::Sender<()>) -> std::time::Duration {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
    socket.set_multicast_ttl_v4(0).unwrap();
    socket.set_multicast_loop_v4(true).unwrap();
    socket
        .bind(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0).into())
        .unwrap();
    let socket: std::net::UdpSocket = socket.into();
    let group = SocketAddrV4::new(DEFAULT_GROUP, lan.port);
    // Random slices of one random pool: generating fresh bytes for each datagram would make
    // the sender (a debug build) the bottleneck, not the receivers.
    let mut pool = vec![0u8; 1 << 20];
    rand::fill(&mut pool[..]);
    let mut buf = [0u8; 1500];
    let begin = Instant::now();
    for i in 0..count {
        let len = rand::random_range(0..=buf.len());
        let at = rand::random_range(0..pool.len() - len);
        buf[..len].copy_from_slice(&pool[at..at + len]);
        if i % 4 == 0 && len >= MAGIC.len() {
            buf[..MAGIC.len()].copy_from_slice(MAGIC);
        }
        // A full socket buffer is the receivers' problem, not the sender's: keep going.
        let _ = socket.send_to(&buf[..len], group);
        if i == count / 10 {
            let _ = started.send(());
        }
    }
    begin.elapsed()
}

#[test]
fn a_flood_of_garbage_datagrams_costs_little_and_changes_nothing() {
    const DATAGRAMS: usize = 200_000;
    let (lan, mut coord, _dir) = office();
    // Registered before the measurement: password hashing (Argon2id) is not what is measured.
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let pid = coord.child.id();
    let cpu_before = cpu_seconds(pid);
    let drops_before = udp_drops(pid, lan.port);

    let (started_tx, started) = mpsc::channel();
    let flooding = {
        let lan = lan.clone();
        std::thread::spawn(move || flood(&lan, DATAGRAMS, started_tx))
    };
    started.recv().unwrap();
    // While the flood runs: a new client discovers the coordinator and connects, and the
    // others chat.
    let mut carol = Client::start(&lan, "carol");
    let found = carol.wait("found", |e| match e {
        Event::CoordinatorFound { addr, .. } => Some(*addr),
        _ => None,
    });
    assert_eq!(found, coord.addr);
    carol.wait("connected", |e| {
        matches!(e, Event::Connected { .. }).then_some(())
    });
    alice.say_acked(&general(), "during the flood");
    bob.wait_message("during the flood");
    bob.say_acked(&dm("alice"), "still here");
    alice.wait_message("still here");
    let took = flooding.join().unwrap();
    // Hold on until the coordinator has read what the flood left in its socket buffer: a probe
    // queued behind it is answered only then (a fresh client's discovery waits on that answer).
    let mut late = Client::start(&lan, "late");
    late.wait("found", |e| match e {
        Event::CoordinatorFound { addr, .. } => Some(*addr),
        _ => None,
    });
    let cpu = cpu_seconds(pid) - cpu_before;
    let dropped = udp_drops(pid, lan.port) - drops_before;
    assert!(
        coord.child.try_wait().unwrap().is_none(),
        "coordinator gone"
    );
    assert!(
        !alice
            .seen
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. })),
        "alice's session was disturbed: {:#?}",
        alice.seen
    );
    // Per datagram the coordinator actually read (the kernel drops what its buffer cannot hold).
    let read = DATAGRAMS as u64 - dropped.min(DATAGRAMS as u64);
    let per_100k = cpu / (read.max(1) as f64 / 100_000.0);
    eprintln!(
        "garbage flood: {DATAGRAMS} datagrams in {took:.2?}, {dropped} dropped by the kernel at \
         the coordinator's socket; coordinator CPU {cpu:.2} s ({per_100k:.2} CPU-s per 100k \
         datagrams read, including a discovery and some chat)"
    );
    assert!(cpu < 10.0, "coordinator used {cpu:.2} CPU-seconds");
}
