//! Fan-out: a room of N sessions (four of them sending) under a steady stream of messages at
//! an offered rate. Each message carries its send time (one clock: one process); every
//! session's reader stamps the receive time.

use std::time::{Duration, Instant};

use crate::clock::now_us;
use crate::plan::Plan;
use crate::procfs;
use crate::stats::percentile;
use crate::system::{Peer, System, To};

/// Sessions that send in each run (each a user of its own, one session each). The lanchat
/// coordinator handles one request of a connection at a time (each waits for its commit), so
/// one sender alone cannot offer more than one message per commit time.
pub const SENDERS: usize = 4;
/// A sender waits while the slowest receiving session is this many messages behind: the
/// lanchat coordinator drops a session with 1,024 frames queued (it counts as not reading),
/// ngIRCd one with 32 KB unsent, and an open-loop stream a server cannot keep up with would
/// otherwise evict everyone.
pub const IN_FLIGHT_CAP: u64 = 512;
/// A drain that makes no progress for this long gives up (the rest counts as lost).
const DRAIN_STALL: Duration = Duration::from_secs(10);

/// One run's figures.
#[derive(Debug)]
pub struct Fanout {
    /// Sessions in the room, senders included.
    pub members: usize,
    /// Offered messages per second.
    pub offered: u32,
    /// Messages sent.
    pub sent: u64,
    /// Messages per second actually sent over the stream.
    pub sent_per_s: f64,
    /// Receptions per second in the timed part of the stream.
    pub deliveries_per_s: f64,
    /// Send → reception, over every delivery of a timed message.
    pub p50: Duration,
    /// The same, 99th percentile.
    pub p99: Duration,
    /// The same, the slowest.
    pub max: Duration,
    /// Send → the sender's acknowledgement (committed and fanned out), p50 and p99; none for
    /// a server that does not acknowledge.
    pub ack: Option<(Duration, Duration)>,
    /// Deliveries that never came (sessions dropped, drain gave up).
    pub missing: u64,
    /// Why sessions ended.
    pub evicted: Vec<String>,
    /// The server's CPU, as a fraction of one core, over the stream.
    pub server_cpu: f64,
    /// Server CPU over the stream per delivery made during it (all its work counted).
    pub server_us_per_delivery: f64,
    /// This process's CPU, as a fraction of one core, over the stream.
    pub bench_cpu: f64,
    /// How long the senders waited on IN_FLIGHT_CAP in all.
    pub capped: Duration,
    /// Refusals.
    pub errors: Vec<String>,
}

/// Every live receiving session's timed deliveries: the least of them. (An IRC sender does
/// not get its own messages back, so senders are left out for every server alike.)
fn slowest<P: Peer>(receivers: &[P]) -> u64 {
    receivers
        .iter()
        .filter(|s| !s.recorder().is_closed())
        .map(|s| {
            s.recorder()
                .delivered
                .load(std::sync::atomic::Ordering::Acquire)
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// One stream of `plan.stream` at `rate` messages/s into the room of `members`.
pub async fn measure<S: System>(system: &S, members: usize, rate: u32, plan: &Plan) -> Fanout {
    let room = &system.room_name(members);
    let mut sessions = system.room(members, SENDERS).await;
    // Let logins, presence changes and handshakes settle before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let total = (f64::from(rate) * plan.stream.as_secs_f64()).round() as u64;
    // Room for every sample up front: growing 500 vectors during the stream (copies, page
    // faults) was a tenth of this process's CPU, which the server shares.
    for s in &sessions {
        s.recorder()
            .samples
            .lock()
            .expect("samples lock")
            .reserve(total as usize);
    }
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    // The stream lasts plan.stream whatever happens; held-back messages are not sent.
    let deadline = Instant::now() + plan.stream;
    let (server_cpu0, bench_cpu0) = (procfs::cpu_s(system.pid()), procfs::self_cpu_s());
    eprintln!("  streaming to room {members} at {rate}/s...");
    let t0 = Instant::now();
    let t0_us = now_us();
    let mut capped = Duration::ZERO;
    let mut floor = 0u64;
    let mut sent = 0u64;
    'send: for k in 0..total {
        let slot = t0 + interval * k as u32;
        if slot >= deadline {
            break;
        }
        tokio::time::sleep_until(slot.into()).await;
        if k >= floor.saturating_add(IN_FLIGHT_CAP) {
            let waited = Instant::now();
            loop {
                floor = slowest(&sessions[SENDERS..]);
                if k < floor.saturating_add(IN_FLIGHT_CAP) {
                    break;
                }
                if Instant::now() >= deadline {
                    capped += waited.elapsed();
                    break 'send;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            capped += waited.elapsed();
        }
        let sender = &mut sessions[(k as usize) % SENDERS];
        let text = format!("{} load-bench message {k} to {room}", now_us());
        if let Err(e) = sender.send(To::Room(room), text).await {
            eprintln!("  sender lost: {e}");
            break;
        }
        sent += 1;
    }
    let send_time = t0.elapsed().max(plan.stream);
    let send_end_us = now_us();
    let (server_cpu1, bench_cpu1) = (procfs::cpu_s(system.pid()), procfs::self_cpu_s());

    // Drain: until every message has reached every session it goes to, or nothing moves
    // for a while.
    let per_message = system.receivers_per_message(members) as u64;
    let mut last = (0u64, Instant::now());
    loop {
        let total_now: u64 = sessions
            .iter()
            .map(|s| {
                s.recorder()
                    .delivered
                    .load(std::sync::atomic::Ordering::Acquire)
            })
            .sum();
        if total_now >= sent * per_message {
            break;
        }
        if total_now != last.0 {
            last = (total_now, Instant::now());
        } else if last.1.elapsed() > DRAIN_STALL {
            eprintln!("  drain stalled; counting the rest as missing");
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let warm_us = t0_us + plan.warmup.as_micros() as u64;
    let mut latencies: Vec<u32> = Vec::new();
    let mut in_window = 0u64;
    let mut in_stream = 0u64;
    let mut delivered = 0u64;
    let mut evicted = Vec::new();
    let mut errors = Vec::new();
    let mut acks: Vec<u32> = Vec::new();
    for s in &mut sessions {
        let (errs, timed) = s.drain_replies();
        errors.extend(errs);
        acks.extend(
            timed
                .into_iter()
                .filter(|(sent, _)| *sent >= warm_us)
                .map(|(_, lat)| lat),
        );
        if let Some(why) = s.recorder().reason.lock().expect("reason").clone() {
            evicted.push(why);
        }
        let samples = std::mem::take(&mut *s.recorder().samples.lock().expect("samples"));
        delivered += samples.len() as u64;
        for (recv, lat) in samples {
            if recv >= warm_us && recv <= send_end_us {
                in_window += 1;
            }
            if recv <= send_end_us {
                in_stream += 1;
            }
            if recv.saturating_sub(u64::from(lat)) >= warm_us {
                latencies.push(lat);
            }
        }
    }
    latencies.sort_unstable();
    acks.sort_unstable();
    let pick = |p: f64| Duration::from_micros(u64::from(percentile(&latencies, p)));
    let ack = |p: f64| Duration::from_micros(u64::from(percentile(&acks, p)));
    let window_s = (send_end_us.saturating_sub(warm_us)) as f64 / 1e6;
    for s in sessions {
        s.close();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let stream_s = send_time.as_secs_f64();
    Fanout {
        members,
        offered: rate,
        sent,
        sent_per_s: sent as f64 / stream_s,
        deliveries_per_s: in_window as f64 / window_s,
        p50: pick(50.0),
        p99: pick(99.0),
        max: pick(100.0),
        ack: (!acks.is_empty()).then(|| (ack(50.0), ack(99.0))),
        missing: (sent * per_message).saturating_sub(delivered),
        evicted,
        server_cpu: (server_cpu1 - server_cpu0) / stream_s,
        server_us_per_delivery: (server_cpu1 - server_cpu0) * 1e6 / in_stream.max(1) as f64,
        bench_cpu: (bench_cpu1 - bench_cpu0) / stream_s,
        capped,
        errors,
    }
}
