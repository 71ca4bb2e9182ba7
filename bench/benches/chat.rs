//! End-to-end chat latency on one machine: how long a client takes to find the coordinator,
//! and how long a direct message takes to go there and back between two clients, next to a
//! plain TCP relay doing the same two-hop trip, and the store commit that dominates it.
//!
//! Run with `cargo bench -p lanchat-bench --bench chat`. Prints one table.
//!
//! Network safety: every socket is on 127.0.0.1. Multicast is joined and sent only on the
//! loopback interface with TTL 0, on a random port under a random realm passphrase, so the
//! bench neither leaves the machine nor hears (or disturbs) any other lanchat.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lanchat_client::{Command, Engine, EngineConfig, Event};
use lanchat_coordinator::{Coordinator, CoordinatorConfig};
use lanchat_net::beacon::RealmKey;
use lanchat_net::discovery::DiscoveryConfig;
use lanchat_net::protocol::{ConvRef, MsgId};
use lanchat_store::{MessageKind, Reads as _, Store};

/// Sequential client starts measured for discovery.
const DISCOVERY_RUNS: usize = 30;
/// Round trips before measuring (QUIC congestion window, SQLite page cache, DM thread creation).
const WARMUP_ROUNDS: usize = 20;
/// Measured round trips.
const MEASURED_ROUNDS: usize = 300;
/// One round every 60 ms is ~16.7 messages/s per client: under the coordinator's 20/s limit
/// for the whole run, so no send is ever throttled and no burst credit is needed.
const ROUND_INTERVAL: Duration = Duration::from_millis(60);
/// Size of each TCP reference message.
const TCP_MESSAGE: usize = 64;
/// Measured store appends.
const STORE_APPENDS: usize = 200;
/// Failure guard for any one awaited event; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(20);
/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";

fn main() {
    let lan = Lan::new();
    let coord_dir = tempfile::tempdir().expect("coordinator tempdir");

    // The coordinator's tasks live on this runtime; it must outlive every measurement.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let coordinator = {
        let _inside = runtime.enter();
        Coordinator::start(CoordinatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            name: "bench-office".into(),
            discovery: Some(lan.discovery()),
            ..CoordinatorConfig::new(coord_dir.path().join("coord"))
        })
        .expect("coordinator starts")
    };

    let (found, connected) = measure_discovery(&lan);
    let lanchat_rtt = measure_chat_rtt(&lan);
    let tcp_rtt = measure_tcp_relay_rtt();
    let store = measure_store_commits();

    runtime.block_on(coordinator.shutdown("bench finished"));

    print_report(&found, &connected, &lanchat_rtt, &tcp_rtt, &store);
}

// ---------------------------------------------------------------------------------------
// Setup

/// A private multicast "LAN" on loopback (as in the end-to-end tests).
#[derive(Debug, Clone)]
struct Lan {
    port: u16,
    realm: String,
}

impl Lan {
    fn new() -> Self {
        Lan {
            port: rand::random_range(lanchat_net::discovery::TEST_PORTS),
            realm: format!("bench-realm-{}", rand::random::<u64>()),
        }
    }

    /// Loopback only, TTL 0: never the default interfaces.
    fn discovery(&self) -> DiscoveryConfig {
        let mut cfg = DiscoveryConfig::new(RealmKey::from_passphrase(&self.realm));
        cfg.ifaces = vec![Ipv4Addr::LOCALHOST];
        cfg.ttl = 0;
        cfg.port = self.port;
        cfg
    }
}

/// An engine with a data directory of its own. Fields drop in order: the engine stops
/// before its directory is removed.
struct Client {
    engine: Engine,
    _data: tempfile::TempDir,
}

/// Starts an engine that discovers the coordinator. A fresh data directory means it pins
/// the coordinator afresh, like a first start on a new machine.
fn start_client(lan: &Lan, name: &str) -> Client {
    let data = tempfile::tempdir().expect("client tempdir");
    let engine = Engine::start(EngineConfig {
        data_dir: data.path().to_path_buf(),
        discovery: Some(lan.discovery()),
        coordinator: None,
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: format!("bench-{name}"),
        peer_listen: None,
        remember_session: false,
    })
    .expect("engine starts");
    Client {
        engine,
        _data: data,
    }
}

/// Waits for the first event `pick` accepts; panics (naming `what`) after PATIENCE.
fn wait_for<T>(engine: &Engine, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match engine.events().recv_timeout(left) {
            // Any error (a refused registration, a rate-limited send) would make the
            // numbers meaningless, so stop loudly instead of waiting out PATIENCE.
            Ok(Event::Error { message, .. }) => {
                panic!("engine error while waiting for {what}: {message}")
            }
            Ok(event) => {
                if let Some(v) = pick(&event) {
                    return v;
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("no {what} within {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("engine stopped while waiting for {what}")
            }
        }
    }
}

/// Registers `name` and waits until logged in.
fn register(lan: &Lan, name: &str) -> Client {
    let client = start_client(lan, name);
    client.engine.send(Command::Register {
        username: name.into(),
        password: PASSWORD.into(),
    });
    wait_for(&client.engine, "LoggedIn", |e| {
        matches!(e, Event::LoggedIn { .. }).then_some(())
    });
    client
}

/// Sends a DM; returns its id (for matching the acknowledgement).
fn send_dm(engine: &Engine, to: &str, text: String) -> MsgId {
    let id = MsgId::random();
    engine.send(Command::Send {
        conv: ConvRef::Dm(to.into()),
        text,
        id,
    });
    id
}

/// Waits for a live message from `sender`; returns its text.
fn wait_message_from(engine: &Engine, sender: &str) -> String {
    wait_for(engine, "message", |e| match e {
        Event::Message { message, .. } if message.sender == sender => Some(message.text.clone()),
        _ => None,
    })
}

/// Runs `round(i)` for warm-up plus measured rounds, one every ROUND_INTERVAL (on a fixed
/// schedule, so a slow round does not shift the ones after it); returns the measured times.
fn paced_rounds(mut round: impl FnMut(usize) -> Duration) -> Vec<Duration> {
    let start = Instant::now();
    let mut measured = Vec::with_capacity(MEASURED_ROUNDS);
    for i in 0..WARMUP_ROUNDS + MEASURED_ROUNDS {
        let slot = start + ROUND_INTERVAL * i as u32;
        thread::sleep(slot.saturating_duration_since(Instant::now()));
        let took = round(i);
        if i >= WARMUP_ROUNDS {
            measured.push(took);
        }
    }
    measured
}

// ---------------------------------------------------------------------------------------
// 1. Client start → coordinator found / connected

/// Returns (start → CoordinatorFound, start → Connected) per run. The clock starts before
/// `Engine::start`, so socket setup and thread spawn are included, as a user would see them.
fn measure_discovery(lan: &Lan) -> (Vec<Duration>, Vec<Duration>) {
    let mut found = Vec::with_capacity(DISCOVERY_RUNS);
    let mut connected = Vec::with_capacity(DISCOVERY_RUNS);
    for i in 0..DISCOVERY_RUNS {
        let t0 = Instant::now();
        let client = start_client(lan, &format!("probe{i}"));
        wait_for(&client.engine, "CoordinatorFound", |e| {
            matches!(e, Event::CoordinatorFound { .. }).then_some(())
        });
        found.push(t0.elapsed());
        wait_for(&client.engine, "Connected", |e| {
            matches!(e, Event::Connected { .. }).then_some(())
        });
        connected.push(t0.elapsed());
        // Dropping the engine shuts it down before the next run starts.
    }
    (found, connected)
}

// ---------------------------------------------------------------------------------------
// 2. DM round trip alice → bob → alice through the coordinator

fn measure_chat_rtt(lan: &Lan) -> Vec<Duration> {
    let alice = register(lan, "alice");
    let bob = register(lan, "bob");

    // Bob answers every message from alice on his own thread, as a second user would.
    let rounds = WARMUP_ROUNDS + MEASURED_ROUNDS;
    let bob_thread = thread::spawn(move || {
        let mut last = None;
        for _ in 0..rounds {
            let text = wait_message_from(&bob.engine, "alice");
            last = Some(send_dm(&bob.engine, "alice", format!("re: {text}")));
        }
        // Shutdown stops the engine at once, so wait until the last reply was stored.
        wait_for(&bob.engine, "last acknowledgement", |e| match e {
            Event::Sent { id, .. } if Some(*id) == last => Some(()),
            _ => None,
        });
    });

    let times = paced_rounds(|i| {
        let text = format!("ping {i}");
        let expect = format!("re: {text}");
        let t0 = Instant::now();
        send_dm(&alice.engine, "bob", text);
        let reply = wait_message_from(&alice.engine, "bob");
        let took = t0.elapsed();
        assert_eq!(reply, expect, "replies arrive in order");
        took
    });
    bob_thread.join().expect("bob's thread");
    times
}

// ---------------------------------------------------------------------------------------
// 3. Reference: the same two-hop trip over plain TCP, relay in the middle

/// A → relay → B → relay → A with 64-byte messages, like alice → coordinator → bob →
/// coordinator → alice but without TLS, framing, a database or an engine thread hop.
fn measure_tcp_relay_rtt() -> Vec<Duration> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind relay");
    let addr = listener.local_addr().expect("relay address");

    // Connect A first, then B, so the relay knows which accepted stream is which.
    let mut a = connect_nodelay(addr);
    let (relay_a, _) = listener.accept().expect("accept A");
    let b = connect_nodelay(addr);
    let (relay_b, _) = listener.accept().expect("accept B");
    let relays = [forward(&relay_a, &relay_b), forward(&relay_b, &relay_a)];
    let echo = thread::spawn(move || echo_until_eof(b));

    let times = paced_rounds(|i| {
        let out = [i as u8; TCP_MESSAGE];
        let mut back = [0u8; TCP_MESSAGE];
        let t0 = Instant::now();
        a.write_all(&out).expect("A writes");
        a.read_exact(&mut back).expect("A reads");
        let took = t0.elapsed();
        assert_eq!(back, out, "echo matches");
        took
    });

    // Closing A ends A→B, which closes B's side, which ends B's echo and B→A.
    drop(a);
    echo.join().expect("echo thread");
    for r in relays {
        r.join().expect("relay thread");
    }
    times
}

fn connect_nodelay(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect to relay");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// One relay direction on its own thread; at end of input it closes the other side's write
/// half so the shutdown travels on.
fn forward(from: &TcpStream, to: &TcpStream) -> thread::JoinHandle<()> {
    let mut from = from.try_clone().expect("clone relay stream");
    let mut to = to.try_clone().expect("clone relay stream");
    from.set_nodelay(true).expect("nodelay");
    to.set_nodelay(true).expect("nodelay");
    thread::spawn(move || {
        // io::copy writes whatever each read returned, so a message is never held back.
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    })
}

/// B: sends every message straight back (as bob replies to alice).
fn echo_until_eof(mut b: TcpStream) {
    let mut buf = [0u8; TCP_MESSAGE];
    while b.read_exact(&mut buf).is_ok() {
        b.write_all(&buf).expect("B writes");
    }
}

// ---------------------------------------------------------------------------------------
// 4. Reference: the coordinator's durable commits per message

/// What the coordinator's hub does for every message before fanning it out: one
/// `append_message` (which also moves the sender's read cursor), one commit and, with WAL and
/// synchronous=FULL, one fsync. Measured on a file database in the same temp filesystem as the
/// coordinator's.
struct StoreCosts {
    append: Vec<Duration>,
}

fn measure_store_commits() -> StoreCosts {
    let dir = tempfile::tempdir().expect("store tempdir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open store");
    let user = store
        .create_user("writer", "writer", "not-a-real-hash", now_ms())
        .expect("create user")
        .id;
    let conv = store.general().expect("general room").id;
    let mut costs = StoreCosts {
        append: Vec::with_capacity(STORE_APPENDS),
    };
    for i in 0..WARMUP_ROUNDS + STORE_APPENDS {
        let client_id: [u8; 16] = rand::random();
        let t0 = Instant::now();
        store
            .append_message(conv, user, &client_id, MessageKind::Text, "hello", now_ms())
            .expect("append");
        if i >= WARMUP_ROUNDS {
            costs.append.push(t0.elapsed());
        }
    }
    costs
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    since_epoch.as_millis() as i64
}

// ---------------------------------------------------------------------------------------
// Report

/// Nearest-rank percentile (`p` in 0..=100) of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(samples: &[Duration]) -> Vec<Duration> {
    let mut s = samples.to_vec();
    s.sort();
    s
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// One table row: name, n, median, tail (at percentile `tail`), max.
fn row(name: &str, samples: &[Duration], tail: f64, unit: fn(Duration) -> String) {
    let s = sorted(samples);
    println!(
        "{name:<38} {:>4} {:>11} {:>5} {:>11} {:>11}",
        s.len(),
        unit(percentile(&s, 50.0)),
        format!("p{tail:.0}"),
        unit(percentile(&s, tail)),
        unit(percentile(&s, 100.0)),
    );
}

fn median(samples: &[Duration]) -> Duration {
    percentile(&sorted(samples), 50.0)
}

fn print_report(
    found: &[Duration],
    connected: &[Duration],
    lanchat_rtt: &[Duration],
    tcp_rtt: &[Duration],
    store: &StoreCosts,
) {
    let ratio = median(lanchat_rtt).as_secs_f64() / median(tcp_rtt).as_secs_f64();
    // Two messages per round trip, each committed once before it is delivered.
    let commits_per_rtt = 2 * median(&store.append);
    let commit_share = commits_per_rtt.as_secs_f64() / median(lanchat_rtt).as_secs_f64();

    println!();
    println!(
        "{:<38} {:>4} {:>11} {:>5} {:>11} {:>11}",
        "measurement", "n", "median", "", "tail", "max"
    );
    println!("{}", "-".repeat(85));
    row("client start -> CoordinatorFound", found, 90.0, ms);
    row("client start -> Connected", connected, 90.0, ms);
    row("DM round trip alice->bob->alice", lanchat_rtt, 99.0, us);
    row("TCP relay round trip A->R->B->R->A", tcp_rtt, 99.0, us);
    row("store append_message (1 commit)", &store.append, 99.0, us);
    println!("{}", "-".repeat(85));
    println!("lanchat DM round trip / TCP relay round trip (medians): {ratio:.1}x");
    println!(
        "coordinator commits per round trip (2 x append median): {} = {:.0}% \
         of the DM median",
        us(commits_per_rtt),
        commit_share * 100.0
    );
    println!();
    println!("notes:");
    println!("- all on 127.0.0.1; multicast on loopback only, TTL 0, random port and realm.");
    println!("- discovery includes the client's deliberate 150 ms wait for further coordinators");
    println!("  after the first answer; each start uses a fresh data dir (first-use pinning).");
    println!("- each DM round trip includes coordinator commits with synchronous=FULL (an fsync");
    println!("  each): one per message (it also moves the sender's read cursor), before the");
    println!("  message is fanned out, so 2 fsyncs per round trip.");
    println!(
        "- {WARMUP_ROUNDS} warm-up + {MEASURED_ROUNDS} measured rounds, one per {} ms, for both",
        ROUND_INTERVAL.as_millis()
    );
    println!(
        "  lanchat and TCP (the coordinator paces each user at {} messages/s, burst {}).",
        CoordinatorConfig::DEFAULT_MESSAGE_RATE,
        lanchat_coordinator::throttle::TokenBucket::MESSAGE_BURST
    );
}
