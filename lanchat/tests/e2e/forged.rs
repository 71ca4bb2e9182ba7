//! Forged discovery on the loopback test LAN: announcements with the right realm and the real
//! coordinator's name that point somewhere else, and a flood of garbage datagrams. (Beacons of
//! another realm being ignored is `discovery::a_coordinator_in_another_realm_is_not_heard`.)
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lanchat_client::Event;
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

    /// A genuine presence beacon. Beacons reach a client in the order sent, so once it reports
    /// this one it has handled every forged announcement sent before.
    fn marker(&self, username: &str) {
        let kind = BeaconKind::Presence {
            username: username.into(),
            display: username.into(),
            status: PresenceStatus::Online,
        };
        self.runtime.block_on(self.discovery.send(kind)).unwrap();
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

/// Waits for the client's report of `marker`'s presence beacon; returns what came before it.
fn events_until_marker(client: &mut Client, marker: &str) -> Vec<Event> {
    let from = client.seen.len();
    client.wait("marker beacon", |e| match e {
        Event::Presence(u) if u.username == marker => Some(()),
        _ => None,
    });
    client.seen[from..].to_vec()
}

#[test]
fn forged_announcements_do_not_move_a_client_that_pinned_the_real_coordinator() {
    let (lan, coord, dir) = office();
    // The impostor is a real coordinator (its own identity) under the same name, so a client
    // fooled by the forgery would really connect and log in there. It does not announce: the
    // forger does that for it.
    let impostor = CoordinatorProcess::start_with(
        &lan,
        &dir.path().join("impostor"),
        "test-office",
        &["--no-discovery"],
    );
    let real_fp = Fingerprint(fingerprint(&coord.fingerprint));
    let fake_fp = Fingerprint(fingerprint(&impostor.fingerprint));
    let mut alice = Client::register(&lan, "alice");
    let forger = Forger::new(&lan, "test-office", impostor.addr, fake_fp.0);

    // 1. A logged-in client hears forgeries claiming an earlier and a later start (the latter
    //    looks like a restart of its coordinator): its session is not touched.
    forger.announce(1);
    forger.announce(now_ms());
    forger.announce(now_ms() + 1000);
    forger.marker("marker-one");
    let between = events_until_marker(&mut alice, "marker-one");
    assert!(
        !between.iter().any(|e| matches!(
            e,
            Event::Disconnected { .. }
                | Event::FingerprintChanged { .. }
                | Event::CoordinatorFound { .. }
                | Event::Connected { .. }
        )),
        "a forged announcement disturbed the session: {between:#?}"
    );
    alice.say_acked(&general(), "still on the real coordinator");

    // 2. The same client starting again (pin on disk) while the forger answers every probe
    //    first, as the earliest coordinator: it warns, naming both fingerprints, and connects
    //    to the real one (never to the impostor).
    let keep = alice.data;
    drop(alice.engine);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let answering = forger.answer_probes(stopped);
    let mut again = Client::start_in(&lan, "alice", keep);
    again.send(lanchat_client::Command::Login {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    let (pinned, offered) = again.wait("fingerprint warning", |e| match e {
        Event::FingerprintChanged {
            pinned, offered, ..
        } => Some((pinned.clone(), *offered)),
        Event::Connected { .. } => panic!("connected before any warning"),
        _ => None,
    });
    assert_eq!(pinned, real_fp.short());
    assert_eq!(offered, fake_fp);
    let warning = again.wait("refusal", |e| match e {
        Event::Error { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(
        warning.contains(&real_fp.short()) && warning.contains(&fake_fp.short()),
        "{warning}"
    );
    let addr = again.wait("real coordinator", |e| match e {
        Event::CoordinatorFound {
            addr, fingerprint, ..
        } => {
            assert_eq!(*fingerprint, real_fp, "found the impostor");
            Some(*addr)
        }
        _ => None,
    });
    assert_eq!(addr, coord.addr);
    again.wait("logged in", |e| match e {
        Event::LoggedIn { .. } => Some(()),
        Event::Connected { addr, .. } if *addr == impostor.addr => panic!("reached the impostor"),
        _ => None,
    });

    // 3. A fresh client (nothing pinned) cannot tell the impostor from the real coordinator:
    //    it picks the one claiming the earliest start, and says this is a first contact with
    //    that fingerprint — trust on first use, like SSH; comparing the fingerprint with the
    //    administrator's is the person's part.
    let mut fresh = Client::start(&lan, "fresh");
    let (addr, fp, first_use) = fresh.wait("found", |e| match e {
        Event::CoordinatorFound {
            addr,
            fingerprint,
            first_use,
            ..
        } => Some((*addr, *fingerprint, *first_use)),
        _ => None,
    });
    eprintln!("forged discovery: a fresh client chose {addr} ({fp}), first use: {first_use}");
    assert_eq!((addr, fp, first_use), (impostor.addr, fake_fp, true));
    drop(stop);
    answering.join().unwrap();
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
