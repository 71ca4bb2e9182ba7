//! Coordinator load on one machine, against ngIRCd in the same run: fan-out to rooms of 10,
//! 100 and 500 sessions under a steady stream of messages, the message round trip between two
//! clients, and what an idle connected client costs the server (1,000 and 10,000 of them).
//!
//! Run with `cargo build --release -p lanchat && cargo bench -p lanchat-bench --bench load`.
//! Prints lanchat's figures, ngIRCd's and the ratios. `LANCHAT_LOAD_QUICK=1` runs a short
//! version (shorter streams, fewer round trips, 1,000 idle clients only).
//! `LANCHAT_LOAD_ONLY=rtt,fanout,idle` (any of them) runs only those parts,
//! `LANCHAT_LOAD_RUNS=500@2000,...` only those fan-out runs, `LANCHAT_LOAD_IRC=0` leaves the
//! reference out.
//!
//! # Layout
//! - `load/system.rs`: what the measurements need from a server and its clients (so both are
//!   driven by the same code) and the per-session recorder.
//! - `load/rtt.rs`, `load/fanout.rs`, `load/idle.rs`: the three measurements.
//! - `load/lanchat.rs` (+ `load/lanchat/`): the release coordinator in its own process and raw
//!   protocol clients (QUIC, TLS 1.3 with the pinned fingerprint, postcard frames) on one
//!   runtime here — not the client engine (one thread per client), so thousands fit.
//! - `load/irc.rs` (+ `load/irc/`): ngIRCd in a network namespace the bench creates, with a
//!   generated configuration, and raw IRC clients inside that namespace.
//! - `load/report.rs`: the tables; `load/plan.rs`, `load/clock.rs`, `load/procfs.rs`,
//!   `load/stats.rs`: what the run measures, its one clock, `/proc`, percentiles.
//!
//! Network safety: lanchat's sockets are all on 127.0.0.1 and its coordinator runs with
//! `--no-discovery` (no multicast at all); ngIRCd and its clients are on the loopback of the
//! bench's own network namespace, removed at the end.

mod clock;
mod fanout;
mod idle;
mod irc;
mod lanchat;
mod plan;
mod procfs;
mod report;
mod rtt;
mod stats;
mod system;

use std::time::Duration;

use fanout::Fanout;
use idle::Idle;
use plan::Plan;
use system::System;

/// One server's figures.
#[derive(Debug)]
pub struct Results {
    /// Round trips.
    pub rtt: Vec<Duration>,
    /// Fan-out runs, in the plan's order.
    pub fanout: Vec<Fanout>,
    /// Idle steps.
    pub idle: Vec<Idle>,
}

/// Every part of the plan against `system`. The memory figures come from a fresh process:
/// nothing left from the streams (freed queues the allocator keeps) may be reused by the
/// idle clients and hide their cost.
pub(crate) async fn measure_all<S: System>(system: &mut S, plan: &Plan) -> Results {
    let rtt = if plan.runs("rtt") {
        eprintln!(
            "round trip ({} + {} rounds)...",
            plan.rtt_warmup, plan.rtt_rounds
        );
        rtt::measure(system, plan).await
    } else {
        Vec::new()
    };
    let mut fanout = Vec::new();
    for &(members, rate) in plan.runs.iter().filter(|_| plan.runs("fanout")) {
        let f = fanout::measure(system, members, rate, plan).await;
        eprintln!(
            "  room {members:>3} @ {rate:>4}/s: {:>9.0} deliveries/s, p50 {}, p99 {}, max {}, \
             server CPU {:.0}%",
            f.deliveries_per_s,
            stats::ms(f.p50),
            stats::ms(f.p99),
            stats::ms(f.max),
            f.server_cpu * 100.0
        );
        fanout.push(f);
    }
    let idle = if plan.runs("idle") {
        system.restart().await;
        idle::measure(system, plan).await
    } else {
        Vec::new()
    };
    Results { rtt, fanout, idle }
}

fn main() {
    clock::start();
    let plan = plan::plan();
    let load_start = procfs::loadavg();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (binary, lanchat) = runtime.block_on(async {
        let mut lanchat = lanchat::Lanchat::start().await;
        let results = measure_all(&mut lanchat, &plan).await;
        let binary = lanchat.binary.clone();
        lanchat.stop();
        (binary, results)
    });
    drop(runtime);
    let irc = if plan.irc {
        irc::run(&plan)
    } else {
        Err("left out (LANCHAT_LOAD_IRC=0)".to_string())
    };
    let load = [load_start, procfs::loadavg()];
    report::print(&plan, &binary, &load, &lanchat, &irc);
}
