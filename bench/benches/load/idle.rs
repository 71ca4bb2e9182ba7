//! What an idle connected client costs the server: logged-in clients connected in steps, and
//! the server's resident memory once it has stopped growing.

use std::time::{Duration, Instant};

use crate::plan::Plan;
use crate::procfs;
use crate::system::{Peer, System};

/// How often the settling memory is read, and how little it may still grow between two
/// readings (a fraction) to count as settled.
const SETTLE_STEP: Duration = Duration::from_secs(10);
const SETTLED_GROWTH: f64 = 0.002;
/// Longest wait for memory to settle.
const SETTLE_MAX: Duration = Duration::from_secs(180);

/// One step's figures.
#[derive(Debug)]
pub struct Idle {
    /// Idle clients connected.
    pub clients: usize,
    /// The server's RSS before any of them, KiB.
    pub rss_before_kb: u64,
    /// Its RSS with them, settled, KiB.
    pub rss_after_kb: u64,
    /// This process's memory per client.
    pub bench_kb_per_client: f64,
    /// How long connecting and logging them in took.
    pub connect_time: Duration,
    /// Server CPU (fraction of one core) while they sit idle (keep-alives).
    pub idle_cpu: f64,
    /// How many were still connected when measured.
    pub still_connected: usize,
    /// The server's thread count when measured.
    pub threads: u64,
}

impl Idle {
    /// Server memory per idle client.
    pub fn kb_per_client(&self) -> f64 {
        (self.rss_after_kb as f64 - self.rss_before_kb as f64) / self.clients as f64
    }
}

/// Connects idle, logged-in clients in steps up to each count of `plan.idle` and reads the
/// server's resident memory.
pub async fn measure<S: System>(system: &S, plan: &Plan) -> Vec<Idle> {
    let pid = system.pid();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_kb = procfs::rss_kb(pid);
    let bench_before_kb = procfs::self_rss_kb();
    let mut sessions = Vec::new();
    let mut out = Vec::new();
    for &n in &plan.idle {
        let more = n - sessions.len();
        eprintln!("connecting idle clients: {} -> {n}...", sessions.len());
        let t = Instant::now();
        sessions.extend(system.idle(sessions.len(), more).await);
        let connect_time = t.elapsed();
        let connected = Instant::now();
        eprintln!(
            "  {more} connected and logged in in {:.1} s",
            connect_time.as_secs_f64()
        );
        // Settle (handshake leftovers, first keep-alives), then measure memory and the
        // steady keep-alive CPU over a few keep-alive intervals.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu0 = procfs::cpu_s(pid);
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(6)).await;
        let idle_cpu = (procfs::cpu_s(pid) - cpu0) / t.elapsed().as_secs_f64();
        let (early_kb, early) = (procfs::rss_kb(pid), connected.elapsed());
        let rss_after_kb = settled_rss(pid, system.settle_min()).await;
        let still_connected = sessions
            .iter()
            .filter(|s| !s.recorder().is_closed())
            .count();
        let idle = Idle {
            clients: n,
            rss_before_kb,
            rss_after_kb,
            bench_kb_per_client: (procfs::self_rss_kb() as f64 - bench_before_kb as f64) / n as f64,
            connect_time,
            idle_cpu,
            still_connected,
            threads: procfs::threads(pid),
        };
        eprintln!(
            "  server RSS {} -> {} KiB: {:.1} KB per client, settled {:.0} s after \
             connecting ({:.1} KB at {:.0} s); idle CPU {:.0}% of a core",
            idle.rss_before_kb,
            idle.rss_after_kb,
            idle.kb_per_client(),
            connected.elapsed().as_secs_f64(),
            (early_kb as f64 - rss_before_kb as f64) / n as f64,
            early.as_secs_f64(),
            idle.idle_cpu * 100.0
        );
        out.push(idle);
    }
    for s in sessions {
        s.close();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    out
}

/// The server's RSS once idle connections have stopped growing: at least `settle_min` after
/// connecting, until it grows less than SETTLED_GROWTH in SETTLE_STEP (at most SETTLE_MAX).
async fn settled_rss(pid: u32, settle_min: Duration) -> u64 {
    let start = Instant::now();
    let mut last = procfs::rss_kb(pid);
    loop {
        tokio::time::sleep(SETTLE_STEP.min(settle_min)).await;
        let now = procfs::rss_kb(pid);
        let growth = (now as f64 - last as f64) / last as f64;
        let waited = start.elapsed();
        if (growth < SETTLED_GROWTH && waited >= settle_min) || waited >= SETTLE_MAX {
            return now;
        }
        last = now;
    }
}
