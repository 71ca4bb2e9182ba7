//! Login floods and lockouts (see `floods` for the other floods), tried against a real coordinator process as an insider with a
//! modified client would: finding 4 (failed logins made the coordinator run Argon2 without
//! limit: 24 connections took it from 150 MB to 6.3 GB) and finding 6 (five wrong passwords
//! from any host locked the victim out everywhere).
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lanchat_coordinator::auth::ARGON2_BYTES;
use lanchat_net::opaque::{LoggingIn, Registering};
use lanchat_net::protocol::{ErrorCode, Reply, Request};

use crate::raw::{raw_from, Raw};
use crate::support::*;

/// Connections in the flood, each from an address of its own (the whole 127/8 is loopback).
const FLOOD_CONNECTIONS: usize = 24;
/// Attempts per flood connection (half OPAQUE logins with a wrong password, half legacy
/// passwords that the coordinator must check with Argon2id).
const ATTEMPTS: usize = 40;
/// Legacy accounts the flood guesses at.
const LEGACY: usize = 8;

/// The resident set of a process, and its peak, in bytes (from /proc).
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .expect("a kB figure")
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// What one flood connection was answered.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    refused: usize,
    throttled: usize,
    busy: usize,
    /// Attempts whose connection the coordinator cut off first (its login deadline: on a
    /// loaded machine 40 Argon2id checks queued behind 23 other connections can outlast it);
    /// the attacker then connects again, as a real one would.
    cut_off: usize,
}

/// One attacker: wrong passwords as fast as the answers come, from `ip`.
async fn attacker(coord: (SocketAddr, String), ip: String, n: usize) -> Tally {
    let connect = || async {
        let mut c: Raw = raw_from(coord.0, &coord.1, &ip).await;
        assert!(matches!(c.hello().await, Ok(Reply::Welcome { .. })));
        c
    };
    let mut c = connect().await;
    let mut tally = Tally::default();
    for attempt in 0..ATTEMPTS {
        let guess = format!("guess {n} {attempt} not it");
        let user = if attempt % 2 == 0 {
            "alice".to_string()
        } else {
            format!("old{}", (n + attempt) % LEGACY)
        };
        let (state, request) = LoggingIn::start(&guess).unwrap();
        let start = Request::LoginStart {
            username: user,
            request,
        };
        let result = match c.ask_or_end(start).await {
            Some(Ok(Reply::LegacyAccount)) => {
                let (_, request) = Registering::start(&guess).unwrap();
                let legacy = Request::LegacyLogin {
                    password: guess.clone(),
                    request,
                };
                c.ask_or_end(legacy).await.map(|r| r.map(|_| true))
            }
            // The password does not open the record: a real client stops here.
            Some(Ok(Reply::LoginResponse { response })) => {
                Some(Ok(state.finish(&guess, &response).is_ok()))
            }
            Some(other) => Some(other.map(|_| true)),
            None => None,
        };
        match result {
            None => {
                let why = c.closed().await;
                assert!(
                    why.contains("no login in time"),
                    "cut off for another reason: {why}"
                );
                tally.cut_off += 1;
                c = connect().await;
            }
            Some(Ok(false)) => tally.refused += 1,
            Some(Ok(true)) => panic!("a wrong password was accepted"),
            Some(Err(e)) if e.code == ErrorCode::AuthFailed => tally.refused += 1,
            Some(Err(e)) if e.code == ErrorCode::RateLimited && e.message.contains("busy") => {
                tally.busy += 1
            }
            Some(Err(e)) if e.code == ErrorCode::RateLimited => tally.throttled += 1,
            Some(Err(e)) => panic!("unexpected refusal: {e:?}"),
        }
    }
    tally
}

/// Finding 4. The bound, computed: the coordinator's resident set before the flood, plus what
/// the flood may add — at most one Argon2id block (19 MiB) per password worker (one per core;
/// no other thread hashes a password), and per flood connection its login state (a few hundred
/// bytes: the OPAQUE server state and messages of at most 512 bytes) and its QUIC connection
/// and task, for which 1 MiB is allowed — plus 32 MiB for the allocator's slack.
#[test]
fn a_login_flood_stays_within_the_computed_memory_bound_and_chat_goes_on() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("coord");
    let names: Vec<String> = (0..LEGACY).map(|i| format!("old{i}")).collect();
    legacy_accounts(&data, &names);
    // The chat below goes as fast as its acknowledgements: not what the rate limit is for.
    let unlimited = ["--max-messages-per-second", "100000"];
    let coord = CoordinatorProcess::start_with(&lan, &data, "test-office", &unlimited);
    let pid = coord.child.id();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    alice.say_acked(&general(), "before the flood");
    bob.wait_message("before the flood");
    let (before, _) = rss(pid);

    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let per_connection = 1024 * 1024;
    let slack = 32 * 1024 * 1024;
    let bound =
        before + workers * ARGON2_BYTES as u64 + FLOOD_CONNECTIONS as u64 * per_connection + slack;

    let flood = {
        let coord = (coord.addr, coord.fingerprint.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for n in 0..FLOOD_CONNECTIONS {
                    let ip = format!("127.0.1.{}", n + 1);
                    tasks.spawn(attacker(coord.clone(), ip, n));
                }
                tasks.join_all().await
            })
        })
    };
    // Meanwhile the office chats, and every message is acknowledged and delivered.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut said = 0;
    while !flood.is_finished() || said < 5 {
        let text = format!("during the flood {said}");
        let sent = Instant::now();
        alice.say_acked(&general(), &text);
        bob.wait_message(&text);
        slowest = slowest.max(sent.elapsed());
        said += 1;
    }
    let tallies = flood.join().expect("the flood ran");
    let flood_time = started.elapsed();
    let (after, peak) = rss(pid);
    let total = tallies.iter().fold(Tally::default(), |a, t| Tally {
        refused: a.refused + t.refused,
        throttled: a.throttled + t.throttled,
        busy: a.busy + t.busy,
        cut_off: a.cut_off + t.cut_off,
    });
    eprintln!(
        "login flood: {FLOOD_CONNECTIONS} connections x {ATTEMPTS} attempts in {flood_time:?}: \
         {total:?}; coordinator RSS before {:.1} MiB, peak {:.1} MiB, after {:.1} MiB, bound \
         {:.1} MiB ({workers} password workers); {said} chat messages, slowest round trip \
         {slowest:?}",
        mib(before),
        mib(peak),
        mib(after),
        mib(bound)
    );
    assert_eq!(
        total.refused + total.throttled + total.busy + total.cut_off,
        FLOOD_CONNECTIONS * ATTEMPTS
    );
    assert!(
        peak <= bound,
        "peak RSS {:.1} MiB over the bound {:.1} MiB",
        mib(peak),
        mib(bound)
    );
    alice.say_acked(&general(), "after the flood");
    bob.wait_message("after the flood");
}

/// Finding 6: wrong passwords for bob from one machine slow that machine down (exponentially),
/// and bob, on his own machine, logs in as if nothing happened.
#[test]
fn guesses_from_one_address_back_off_and_do_not_lock_the_victim_out() {
    let (lan, coord, _dir) = office();
    let bob = Client::register(&lan, "bob");
    drop(bob);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let waits = rt.block_on(async {
        let mut c = raw_from(coord.addr, &coord.fingerprint, "127.0.0.2").await;
        assert!(matches!(c.hello().await, Ok(Reply::Welcome { .. })));
        let mut waits = Vec::new();
        let mut tried = 0;
        while waits.len() < 2 {
            match c.try_password("bob", "not bob's password").await {
                Ok(None) => tried += 1,
                Err(e) if e.code == ErrorCode::RateLimited => {
                    let secs: u64 = e
                        .message
                        .rsplit("try again in ")
                        .next()
                        .and_then(|s| s.trim_end_matches(" s").parse().ok())
                        .unwrap_or_else(|| panic!("no wait in {:?}", e.message));
                    assert!(e.message.contains("127.0.0.2"), "{}", e.message);
                    waits.push(secs);
                    // Wait out the back-off the coordinator announced, then guess once more.
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                    let again = c.try_password("bob", "not bob's password").await;
                    assert_eq!(again, Ok(None));
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(tried, 6, "five free guesses, the sixth starts the back-off");
        waits
    });
    assert_eq!(
        waits,
        [1, 2],
        "the attacker's address backs off exponentially"
    );
    // Bob, from 127.0.0.1, is not locked out.
    let (mut bob, _) = Client::login(&lan, "bob");
    bob.say_acked(&general(), "still me");
}
