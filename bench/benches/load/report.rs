//! The printed report: each server's tables, then lanchat against ngIRCd.

use std::path::Path;
use std::time::Duration;

use crate::fanout::{Fanout, IN_FLIGHT_CAP, SENDERS};
use crate::idle::Idle;
use crate::lanchat::CLIENT_ENDPOINTS;
use crate::plan::Plan;
use crate::stats::{ms, percentile, thousands, us};
use crate::Results;

/// The targets: half ngIRCd's delivery rate in the room of 500 at the highest rate,
/// its p99 within 70 ms, under 32 KB per idle client.
const TARGET_DELIVERY_RATIO: f64 = 0.5;
const TARGET_FANOUT_P99_MS: f64 = 70.0;
const TARGET_KB_PER_CLIENT: f64 = 32.0;

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "NO"
    }
}

/// Round-trip p50 and p99.
fn rtt_pcts(rtt: &[Duration]) -> (Duration, Duration) {
    let mut rtt = rtt.to_vec();
    rtt.sort();
    (percentile(&rtt, 50.0), percentile(&rtt, 99.0))
}

fn print_fanout(plan: &Plan, fanout: &[Fanout]) {
    if fanout.is_empty() {
        return;
    }
    println!(
        "fan-out: {}-s stream, the first {:.1} s not timed; room = sessions incl. {SENDERS} \
         senders",
        plan.stream.as_secs(),
        plan.warmup.as_secs_f64()
    );
    println!(
        "{:>5} {:>7} {:>7} {:>12} {:>10} {:>10} {:>10} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6} {:>7}",
        "room",
        "offered",
        "sent/s",
        "deliveries/s",
        "p50",
        "p99",
        "max",
        "ack p50",
        "ack p99",
        "server",
        "µs/dl",
        "bench",
        "capped",
        "missing"
    );
    println!("{}", "-".repeat(127));
    for f in fanout {
        let (ack50, ack99) = f
            .ack
            .map_or(("-".into(), "-".into()), |(a, b)| (ms(a), ms(b)));
        println!(
            "{:>5} {:>7} {:>7.0} {:>12} {:>10} {:>10} {:>10} {:>9} {:>9} {:>5.0}% {:>6.1} {:>5.0}% {:>5.1}s {:>7}",
            f.members,
            f.offered,
            f.sent_per_s,
            thousands(f.deliveries_per_s),
            ms(f.p50),
            ms(f.p99),
            ms(f.max),
            ack50,
            ack99,
            f.server_cpu * 100.0,
            f.server_us_per_delivery,
            f.bench_cpu * 100.0,
            f.capped.as_secs_f64(),
            f.missing,
        );
    }
    println!("{}", "-".repeat(127));
    for f in fanout {
        if !f.evicted.is_empty() || !f.errors.is_empty() {
            println!(
                "room {} @ {}/s: {} sent, {} sessions ended ({:?}), {} error replies ({:?})",
                f.members,
                f.offered,
                f.sent,
                f.evicted.len(),
                f.evicted.first(),
                f.errors.len(),
                f.errors.first()
            );
        }
    }
}

fn print_idle(idle: &[Idle]) {
    if idle.is_empty() {
        return;
    }
    println!(
        "{:>8} {:>12} {:>12} {:>8} {:>9} {:>10} {:>9} {:>8} {:>10} {:>9}",
        "idle",
        "server RSS",
        "server RSS",
        "KB per",
        "marginal",
        "connect +",
        "idle CPU",
        "server",
        "bench KB",
        "still"
    );
    println!(
        "{:>8} {:>12} {:>12} {:>8} {:>9} {:>10} {:>9} {:>8} {:>10} {:>9}",
        "clients",
        "before",
        "after",
        "client",
        "KB/client",
        "login",
        "(server)",
        "threads",
        "per client",
        "connected"
    );
    println!("{}", "-".repeat(104));
    let mut prev: Option<&Idle> = None;
    for i in idle {
        // Per client added since the previous step: one-time costs (threads, caches) left out.
        let marginal = prev.map_or(i.kb_per_client(), |p| {
            (i.rss_after_kb as f64 - p.rss_after_kb as f64) / (i.clients - p.clients) as f64
        });
        println!(
            "{:>8} {:>9} KB {:>9} KB {:>8.1} {:>9.1} {:>8.1} s {:>8.1}% {:>8} {:>10.1} {:>9}",
            i.clients,
            thousands(i.rss_before_kb as f64),
            thousands(i.rss_after_kb as f64),
            i.kb_per_client(),
            marginal,
            i.connect_time.as_secs_f64(),
            i.idle_cpu * 100.0,
            i.threads,
            i.bench_kb_per_client,
            i.still_connected
        );
        prev = Some(i);
    }
    println!("{}", "-".repeat(104));
}

fn print_results(plan: &Plan, title: &str, r: &Results) {
    println!();
    println!("== {title}");
    print_fanout(plan, &r.fanout);
    if !r.rtt.is_empty() {
        let (p50, p99) = rtt_pcts(&r.rtt);
        let max = r.rtt.iter().max().copied().unwrap_or_default();
        println!(
            "round trip A -> server -> B -> server -> A (DM, unloaded): n={}, p50 {}, p99 {}, \
             max {}",
            r.rtt.len(),
            us(p50),
            us(p99),
            us(max)
        );
    }
    print_idle(&r.idle);
}

/// One comparison row: what, lanchat's figure, ngIRCd's, the ratio, the target's verdict.
fn compare(what: &str, lanchat: String, irc: String, ratio: f64, verdict: &str) {
    println!("{what:<40} {lanchat:>14} {irc:>14} {ratio:>8.2}x {verdict:>20}");
}

fn print_comparison(l: &Results, i: &Results) {
    println!();
    println!("lanchat against ngIRCd, same run (ratio = lanchat / ngIRCd):");
    println!(
        "{:<40} {:>14} {:>14} {:>9} {:>20}",
        "", "lanchat", "ngIRCd", "ratio", "target met?"
    );
    println!("{}", "-".repeat(101));
    if !l.rtt.is_empty() && !i.rtt.is_empty() {
        let (l50, l99) = rtt_pcts(&l.rtt);
        let (i50, i99) = rtt_pcts(&i.rtt);
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        compare("round trip p50", us(l50), us(i50), ratio(l50, i50), "-");
        compare("round trip p99", us(l99), us(i99), ratio(l99, i99), "-");
    }
    let biggest = l
        .fanout
        .iter()
        .filter(|f| f.members == 500)
        .map(|f| f.offered)
        .max();
    for lf in &l.fanout {
        let Some(irf) = i
            .fanout
            .iter()
            .find(|f| f.members == lf.members && f.offered == lf.offered)
        else {
            continue;
        };
        let target = Some(lf.offered) == biggest && lf.members == 500;
        let name = format!("room {} @ {}/s", lf.members, lf.offered);
        let ratio = lf.deliveries_per_s / irf.deliveries_per_s;
        compare(
            &format!("{name}: deliveries/s"),
            thousands(lf.deliveries_per_s),
            thousands(irf.deliveries_per_s),
            ratio,
            &if target {
                format!(
                    "{} (>= {TARGET_DELIVERY_RATIO}x)",
                    yes_no(ratio >= TARGET_DELIVERY_RATIO)
                )
            } else {
                "-".into()
            },
        );
        let p99_ms = lf.p99.as_secs_f64() * 1e3;
        compare(
            &format!("{name}: delivery p99"),
            ms(lf.p99),
            ms(irf.p99),
            lf.p99.as_secs_f64() / irf.p99.as_secs_f64().max(1e-6),
            &if target {
                format!(
                    "{} (< {TARGET_FANOUT_P99_MS:.0} ms)",
                    yes_no(p99_ms < TARGET_FANOUT_P99_MS)
                )
            } else {
                "-".into()
            },
        );
    }
    for li in &l.idle {
        let Some(ii) = i.idle.iter().find(|x| x.clients == li.clients) else {
            continue;
        };
        compare(
            &format!(
                "server memory, {} idle clients",
                thousands(li.clients as f64)
            ),
            format!("{:.1} KB", li.kb_per_client()),
            format!("{:.1} KB", ii.kb_per_client()),
            li.kb_per_client() / ii.kb_per_client().max(1e-3),
            &format!(
                "{} (< {TARGET_KB_PER_CLIENT:.0} KB)",
                yes_no(li.kb_per_client() < TARGET_KB_PER_CLIENT)
            ),
        );
    }
    println!("{}", "-".repeat(101));
}

/// Prints everything.
pub fn print(
    plan: &Plan,
    binary: &Path,
    load: &[String; 2],
    lanchat: &Results,
    irc: &Result<Results, String>,
) {
    println!();
    println!(
        "lanchat load ({}; coordinator: {})",
        if plan.quick { "quick" } else { "full" },
        binary.display()
    );
    println!(
        "load average (1/5/15 min) at start: {}, at end: {} on {} cores",
        load[0],
        load[1],
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    print_results(
        plan,
        "lanchat (QUIC + TLS 1.3, every message committed to SQLite)",
        lanchat,
    );
    match irc {
        Ok(irc) => {
            print_results(plan, "ngIRCd (plain TCP, nothing stored), same run", irc);
            print_comparison(lanchat, irc);
        }
        Err(why) => {
            println!();
            println!("ngIRCd reference not run: {why}; lanchat's figures only.");
        }
    }
    print_notes();
}

fn print_notes() {
    println!();
    println!("notes:");
    println!("- lanchat: all on 127.0.0.1, no multicast (--no-discovery). The coordinator is the");
    println!("  release binary in its own process (one tokio worker per core); the clients are");
    println!("  raw protocol clients (QUIC + TLS 1.3 + postcard frames, not the client engine) on");
    println!("  one multi-threaded runtime here, over {CLIENT_ENDPOINTS} shared UDP sockets.");
    println!("- ngIRCd: Debian's package in a network namespace of the bench's own (loopback");
    println!("  only), configured with penalties off (MaxPenaltyTime = 0: no flood throttling),");
    println!("  no per-IP connection limit, no DNS/ident lookups; one TCP connection per client");
    println!("  (no Nagle), clients on a runtime of their own inside the namespace. ngIRCd is");
    println!("  single-threaded; it does not echo a channel message to its sender (deliveries");
    println!("  per message: N-1 against lanchat's N) and acknowledges nothing.");
    println!("- server/bench = CPU of each over the stream, in % of one core (both share this");
    println!("  machine's cores); µs/dl = server CPU over the stream / deliveries made in it.");
    println!("- a room of N is N sessions ({SENDERS} senders included); deliveries/s counts");
    println!("  receptions during the timed part of the stream; p50/p99/max: send (stamped in");
    println!("  the text) to reception, over every delivery of a message sent after the untimed");
    println!("  start.");
    println!("- open loop at the offered rate, except that the senders hold back while the");
    println!("  slowest receiver is {IN_FLIGHT_CAP} messages behind (capped = total hold-back):");
    println!("  lanchat drops a session with 1,024 frames queued, ngIRCd one with 32 KB unsent.");
    println!("  sent/s below offered = the server's limit.");
    println!("- round trip: back to back; lanchat commits each message (fsync) before delivery.");
    println!("- idle clients are logged in (lanchat: Resume, spread over the account pool; IRC:");
    println!("  registered nicks); memory is the server's VmRSS on a freshly restarted process");
    println!("  before them, and after them once it has stopped growing (under 0.2% in 10 s;");
    println!("  quinn's per-connection event channel gains a second 6.5 KB block after ~45 s of");
    println!("  keep-alives); idle CPU over 6 s (lanchat's keep-alives every 3 s). marginal:");
    println!("  per client added since the previous row. ack: send -> the sender's Sent reply");
    println!("  (commit + fan-out).");
}
