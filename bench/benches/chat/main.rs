//! End-to-end chat latency on one machine: how long a client takes to find the coordinator,
//! and how long a direct message takes to go there and back between two clients, taken apart:
//! next to a plain TCP relay doing the same two-hop trip, a bare-QUIC relay doing it (what the
//! transport costs), raw protocol clients doing it through the real coordinator (what the
//! engines add), and the store commit each message waits for.
//!
//! Run with `cargo bench -p lanchat-bench --bench chat`. Prints one table and the breakdown.
//!
//! # Layout
//! - `chat/engine.rs`: the private LAN, engines, waiting for their events.
//! - `chat/rounds.rs`: the schedule every round trip follows.
//! - `chat/discovery.rs`, `chat/dm.rs`: what a user sees (client start, DM round trip).
//! - `chat/raw.rs`, `chat/quic_relay.rs`, `chat/tcp_relay.rs`, `chat/store.rs`: the parts.
//!
//! Network safety: every socket is on 127.0.0.1. Multicast is joined and sent only on the
//! loopback interface with TTL 0, on a random port under a random realm passphrase, so the
//! bench neither leaves the machine nor hears (or disturbs) any other lanchat.

mod discovery;
mod dm;
mod engine;
mod quic_relay;
mod raw;
mod rounds;
mod store;
mod tcp_relay;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use lanchat_coordinator::{Coordinator, CoordinatorConfig};
use lanchat_net::fingerprint::Pin;

use rounds::{MEASURED_ROUNDS, ROUND_INTERVAL, WARMUP_ROUNDS};
use store::StoreCosts;

/// Every round-trip measurement of one run.
struct Trips {
    /// Engines through the coordinator, its database on disk: what a user sees.
    engines: Vec<Duration>,
    /// The same through a coordinator whose database is on tmpfs (its fsyncs cost nothing).
    engines_tmpfs: Vec<Duration>,
    /// Raw protocol clients through the tmpfs coordinator.
    raw_tmpfs: Vec<Duration>,
    quic: Vec<Duration>,
    tcp: Vec<Duration>,
}

/// Where the second coordinator's database goes: memory, so that its commits do everything
/// but wait for a disk.
const TMPFS: &str = "/dev/shm";

/// A coordinator on 127.0.0.1 that `lan`'s clients discover, its data in `dir`.
fn start_coordinator(
    runtime: &tokio::runtime::Runtime,
    lan: &engine::Lan,
    dir: &std::path::Path,
) -> Coordinator {
    let _inside = runtime.enter();
    Coordinator::start(CoordinatorConfig {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        name: "bench-office".into(),
        discovery: Some(lan.discovery()),
        ..CoordinatorConfig::new(dir.join("coord"))
    })
    .expect("coordinator starts")
}

fn main() {
    // Two private LANs: each coordinator is found only by its own clients.
    let lan = engine::Lan::new();
    let lan_tmpfs = engine::Lan::new();
    let coord_dir = tempfile::tempdir().expect("coordinator tempdir");
    let tmpfs_dir = tempfile::tempdir_in(TMPFS).ok();
    let tmpfs_dir_path = tmpfs_dir
        .as_ref()
        .map_or(coord_dir.path().join("second"), |d| d.path().to_path_buf());

    // The coordinators' tasks live on this runtime; it must outlive every measurement.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let coordinator = start_coordinator(&runtime, &lan, coord_dir.path());
    let coordinator_tmpfs = start_coordinator(&runtime, &lan_tmpfs, &tmpfs_dir_path);
    let addr = coordinator_tmpfs.local_addr().expect("coordinator address");
    let pin = Pin::exact(coordinator_tmpfs.fingerprint());

    let (found, connected) = discovery::measure(&lan);
    let trips = Trips {
        engines: dm::measure(&lan),
        engines_tmpfs: dm::measure(&lan_tmpfs),
        raw_tmpfs: raw::measure(addr, pin),
        quic: quic_relay::measure(),
        tcp: tcp_relay::measure(),
    };
    let store = store::measure();

    runtime.block_on(coordinator.shutdown("bench finished"));
    runtime.block_on(coordinator_tmpfs.shutdown("bench finished"));

    print_report(&found, &connected, &trips, &store, tmpfs_dir.is_some());
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
        "{name:<42} {:>4} {:>11} {:>5} {:>11} {:>11}",
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
    trips: &Trips,
    store: &StoreCosts,
    on_tmpfs: bool,
) {
    let tcp = median(&trips.tcp);
    let engines = median(&trips.engines);
    let engines_tmpfs = median(&trips.engines_tmpfs);
    let raw = median(&trips.raw_tmpfs);
    let quic = median(&trips.quic);
    // Two messages per round trip, each committed once before it is delivered.
    let commits = 2 * median(&store.append);
    let us_of = |d: Duration| d.as_secs_f64() * 1e6;
    let share = |x: f64| x / us_of(engines) * 100.0;
    let line = |what: &str, x: f64| println!("  {what:<52} {x:>7.0} µs {:>4.0}%", share(x));

    println!();
    println!(
        "{:<42} {:>4} {:>11} {:>5} {:>11} {:>11}",
        "measurement", "n", "median", "", "tail", "max"
    );
    println!("{}", "-".repeat(89));
    row("client start -> CoordinatorFound", found, 90.0, ms);
    row("client start -> Connected", connected, 90.0, ms);
    row("DM round trip alice->bob->alice", &trips.engines, 99.0, us);
    row(
        "  the same, coordinator's db on tmpfs",
        &trips.engines_tmpfs,
        99.0,
        us,
    );
    row(
        "  the same, raw clients (no engine)",
        &trips.raw_tmpfs,
        99.0,
        us,
    );
    row("bare QUIC relay A->R->B->R->A", &trips.quic, 99.0, us);
    row("TCP relay A->R->B->R->A", &trips.tcp, 99.0, us);
    row("store append_message (1 commit)", &store.append, 99.0, us);
    println!("{}", "-".repeat(89));
    println!(
        "lanchat DM round trip / TCP relay round trip (medians): {:.1}x",
        engines.as_secs_f64() / tcp.as_secs_f64()
    );
    println!();
    println!("one DM round trip taken apart (medians, same run; % of the DM round trip):");
    line(
        "waiting for the disk (DM - DM with its db on tmpfs)",
        us_of(engines) - us_of(engines_tmpfs),
    );
    line(
        "  for comparison: 2 store commits on disk (2 x append)",
        us_of(commits),
    );
    line("QUIC hops (bare quinn relay)", us_of(quic));
    line(
        "coordinator's work (raw on tmpfs - QUIC)",
        us_of(raw) - us_of(quic),
    );
    line(
        "client engines, 2 sends + 2 receives (DM - raw, tmpfs)",
        us_of(engines_tmpfs) - us_of(raw),
    );
    println!(
        "  everything but the disk (DM round trip, db on tmpfs): {} = {:.1}x the TCP relay \
         (target <= 2x)",
        us(engines_tmpfs),
        engines_tmpfs.as_secs_f64() / tcp.as_secs_f64()
    );
    if !on_tmpfs {
        println!("  ({TMPFS} is not available: the second coordinator's db is on disk too)");
    }
    println!();
    println!("notes:");
    println!("- all on 127.0.0.1; multicast on loopback only, TTL 0, random port and realm.");
    println!("- discovery includes the client's deliberate 150 ms wait for further coordinators");
    println!("  after the first answer; each start uses a fresh data dir (first-use pinning).");
    println!("- each DM round trip includes coordinator commits with synchronous=FULL (an fsync");
    println!("  each): one per message (it also moves the sender's read cursor), before the");
    println!("  message is fanned out, so 2 fsyncs per round trip.");
    println!("- the tmpfs rows use a second coordinator, its database in {TMPFS}: everything");
    println!(
        "  the same (SQLite's commit included) except that an fsync does not wait for a disk."
    );
    println!("- the coordinators run in this process on a 2-worker runtime; each engine, raw");
    println!("  client and QUIC/TCP relay end on a thread of its own (the QUIC relay on a");
    println!("  2-worker runtime, as the coordinator).");
    println!(
        "- {WARMUP_ROUNDS} warm-up + {MEASURED_ROUNDS} measured rounds, one per {} ms, for every",
        ROUND_INTERVAL.as_millis()
    );
    println!(
        "  round trip (the coordinator paces each user at {} messages/s, burst {}).",
        CoordinatorConfig::DEFAULT_MESSAGE_RATE,
        lanchat_coordinator::throttle::TokenBucket::MESSAGE_BURST
    );
}
