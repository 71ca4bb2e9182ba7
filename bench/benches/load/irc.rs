//! The reference: ngIRCd (plain TCP, no encryption, nothing stored) in a network namespace of
//! the bench's own, driven with the same loads by raw IRC clients that run inside that
//! namespace too, on a thread and a runtime of their own.

mod client;
mod netns;
mod ngircd;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::plan::Plan;
use crate::system::{Received, Recorder, System};
use crate::Results;
use client::IrcSession;
use netns::Namespace;
use ngircd::Ngircd;

/// Connections being set up at once: ngIRCd listens with a backlog of 10 (compiled in), and
/// connections beyond it are dropped by the kernel and fail.
const CONNECT_CONCURRENCY: usize = 8;
/// Attempts per connection (a dropped one is tried again, and said so).
const CONNECT_ATTEMPTS: usize = 3;
/// ngIRCd's memory does not grow on its own once clients are connected; this only lets
/// the last registrations finish.
const SETTLE_MIN: Duration = Duration::from_secs(10);

/// ngIRCd and its clients.
struct Irc {
    server: Ngircd,
    /// Nicks are never reused within a run (a closed session's QUIT may still be on its way).
    next_nick: AtomicUsize,
}

impl Irc {
    /// Opens one session per `(nick, channel, recorder)`, CONNECT_CONCURRENCY at a time;
    /// returns them in order.
    async fn open_many(
        &self,
        who: Vec<(String, Option<String>, Arc<Recorder>)>,
    ) -> Vec<IrcSession> {
        let addr = self.server.addr();
        let limit = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
        let mut tasks = JoinSet::new();
        for (i, (nick, channel, rec)) in who.into_iter().enumerate() {
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore");
                let mut failures = Vec::new();
                while failures.len() < CONNECT_ATTEMPTS {
                    match IrcSession::open(addr, &nick, channel.as_deref(), rec.clone()).await {
                        Ok(session) => return (i, session),
                        Err(e) => {
                            eprintln!("  IRC {nick}: {e} (trying again)");
                            // The failed connection's reader may have marked it ended.
                            rec.clear_end();
                            failures.push(e);
                        }
                    }
                }
                panic!("IRC {nick}: {failures:?}");
            });
        }
        let mut done = tasks.join_all().await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, s)| s).collect()
    }

    /// `count` fresh nicks (at most 9 characters, ngIRCd's default limit).
    fn nicks(&self, count: usize) -> Vec<String> {
        let first = self.next_nick.fetch_add(count, Ordering::Relaxed);
        (first..first + count).map(|n| format!("c{n}")).collect()
    }
}

impl System for Irc {
    type Peer = IrcSession;

    fn pid(&self) -> u32 {
        self.server.pid()
    }

    fn room_name(&self, members: usize) -> String {
        format!("#load{members}")
    }

    async fn room(&self, members: usize, _senders: usize) -> Vec<IrcSession> {
        let channel = self.room_name(members);
        let who = self
            .nicks(members)
            .into_iter()
            .map(|nick| (nick, Some(channel.clone()), Arc::default()))
            .collect();
        self.open_many(who).await
    }

    async fn pair(&self) -> [(IrcSession, String, mpsc::UnboundedReceiver<Received>); 2] {
        let [a, b]: [String; 2] = self.nicks(2).try_into().expect("two nicks");
        let (rec_a, rx_a) = Recorder::forwarding();
        let (rec_b, rx_b) = Recorder::forwarding();
        let mut sessions = self
            .open_many(vec![(a.clone(), None, rec_a), (b.clone(), None, rec_b)])
            .await
            .into_iter();
        let sa = sessions.next().expect("a");
        let sb = sessions.next().expect("b");
        [(sa, a, rx_a), (sb, b, rx_b)]
    }

    async fn idle(&self, _first: usize, count: usize) -> Vec<IrcSession> {
        let who = self
            .nicks(count)
            .into_iter()
            .map(|nick| (nick, None, Arc::default()))
            .collect();
        self.open_many(who).await
    }

    async fn restart(&mut self) {
        self.server.restart();
    }

    fn receivers_per_message(&self, members: usize) -> usize {
        // IRC does not echo a channel message to its sender.
        members - 1
    }

    fn settle_min(&self) -> Duration {
        SETTLE_MIN
    }
}

/// Runs the plan against ngIRCd, or says in one line why it cannot.
pub fn run(plan: &Plan) -> Result<Results, String> {
    let binary = ngircd::binary()
        .ok_or("ngIRCd is not installed (/usr/sbin/ngircd; Debian package ngircd)")?;
    let ns = Namespace::create().map_err(|e| format!("no network namespace: {e}"))?;
    eprintln!("ngIRCd reference in network namespace {}", ns.name());
    let dir = tempfile::tempdir().map_err(|e| format!("ngircd tempdir: {e}"))?;
    let results = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            ns.enter_this_thread()?;
            // Built after entering: its worker threads, and the ngIRCd process spawned from
            // them, are in the namespace.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            let results = runtime.block_on(async {
                let server = Ngircd::start(&binary, dir.path());
                eprintln!("ngircd pid {} on {}", server.pid(), server.addr());
                let mut irc = Irc {
                    server,
                    next_nick: AtomicUsize::new(0),
                };
                let results = crate::measure_all(&mut irc, plan).await;
                irc.server.stop();
                results
            });
            Ok::<_, String>(results)
        });
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    drop(ns);
    results
}
