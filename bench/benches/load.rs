//! Coordinator load on one machine: fan-out to rooms of 10, 100 and 500 sessions under a steady
//! stream of messages, the message round trip between two clients, and what an idle connected
//! client costs the coordinator (1,000 and 10,000 of them).
//!
//! Run with `cargo build --release -p lanchat && cargo bench -p lanchat-bench --bench load`.
//! Prints one table. `LANCHAT_LOAD_QUICK=1` runs a ~1-minute version (shorter streams, fewer
//! round trips, 1,000 idle clients only). `LANCHAT_LOAD_ONLY=rtt,fanout,idle` (any of them)
//! runs only those parts.
//!
//! The coordinator is the release `lanchat` binary in its own process (found next to this
//! bench's executable, in `$CARGO_TARGET_DIR/release`, or at `$LANCHAT_BIN`), so its memory and
//! CPU can be read from `/proc/PID`. The clients are raw protocol clients — real QUIC, TLS 1.3
//! with the pinned fingerprint, Hello, Register/Resume, postcard frames — all on one
//! multi-threaded tokio runtime in this process, sharing a few client endpoints (one UDP socket
//! each), so thousands fit. They are not the client engine (one thread per client).
//!
//! Accounts: Argon2 makes a password login cost ~60 ms, so a pool of accounts registers once
//! and every other connection resumes one of them with its session token (a user may have many
//! sessions). A room of N is N sessions whose users joined it, four of them sending; every
//! session of a member receives every message (the senders too), so deliveries = messages × N.
//! Each message carries its send time (one clock: one process); every session's reader task
//! stamps the receive time.
//!
//! Network safety: every socket is on 127.0.0.1; the coordinator runs with `--no-discovery`,
//! so there is no multicast at all.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{write_frame, FrameReader};
use lanchat_net::protocol::{
    ChatMessage, ClientFrame, ConvRef, ErrorInfo, Event, MessageKind, MsgId, Reply, Request,
    ServerFrame, PROTOCOL_VERSION,
};
use lanchat_net::tls;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

/// Set to anything but 0 for the short version.
const QUICK_ENV: &str = "LANCHAT_LOAD_QUICK";
/// Comma-separated parts to run (rtt, fanout, idle); all when unset.
const ONLY_ENV: &str = "LANCHAT_LOAD_ONLY";
/// Comma-separated `members@rate` fan-out runs (for example `500@2000`); all when unset.
const RUNS_ENV: &str = "LANCHAT_LOAD_RUNS";
/// Where the `lanchat` binary is, if not found next to the bench.
const BIN_ENV: &str = "LANCHAT_BIN";
/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";
/// Accounts that receive (registered once, then resumed as often as needed).
const POOL_USERS: usize = 50;
/// Sessions that send in each fan-out run (each a user of its own, one session each). The
/// coordinator handles one request of a connection at a time (each waits for its commit), so
/// one sender alone cannot offer more than one message per commit time.
const SENDERS: usize = 4;
/// Client endpoints (UDP sockets) the connections are spread over.
const CLIENT_ENDPOINTS: usize = 16;
/// Connections being set up at once.
const CONNECT_CONCURRENCY: usize = 64;
/// A sender waits while the slowest live session is this many messages behind: the
/// coordinator drops a session with 1,024 frames queued (it counts as not reading), and an
/// open-loop stream the coordinator cannot keep up with would otherwise evict everyone.
const IN_FLIGHT_CAP: u64 = 512;
/// Failure guard for any one awaited reply or delivery; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);
/// A drain that makes no progress for this long gives up (the rest counts as lost).
const DRAIN_STALL: Duration = Duration::from_secs(10);
/// Room sizes of the fan-out runs (sessions, senders included).
const ROOMS: [usize; 3] = [10, 100, 500];
/// Offered message rates of the fan-out runs (messages per second, all senders together).
const RATES: [u32; 2] = [200, 2000];

/// ngIRCd on this class of machine (plain TCP, no encryption), from the issue.
const REF_RTT_P50_US: f64 = 180.0;
const REF_RTT_P99_US: f64 = 320.0;
const REF_DELIVERIES_PER_S: f64 = 960_000.0;
const REF_FANOUT_P99_MS: f64 = 70.0;
const REF_KB_PER_CLIENT: f64 = 3.0;
/// The targets: half the delivery rate, a better p99, under 32 KB per client.
const TARGET_KB_PER_CLIENT: f64 = 32.0;

#[derive(Debug, Clone)]
struct Plan {
    quick: bool,
    rtt_warmup: usize,
    rtt_rounds: usize,
    stream: Duration,
    warmup: Duration,
    idle: Vec<usize>,
    /// Which parts run.
    parts: Vec<String>,
    /// Which fan-out runs (room size, offered rate) are made.
    runs: Vec<(usize, u32)>,
}

impl Plan {
    fn runs(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

fn plan() -> Plan {
    let quick = std::env::var(QUICK_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let parts = std::env::var(ONLY_ENV)
        .unwrap_or_else(|_| "rtt,fanout,idle".into())
        .split(',')
        .map(|p| p.trim().to_string())
        .collect();
    let all_runs = ROOMS
        .into_iter()
        .flat_map(|members| RATES.map(|rate| (members, rate)))
        .collect();
    let runs = std::env::var(RUNS_ENV).map_or(all_runs, |v| {
        v.split(',')
            .filter_map(|run| {
                let (members, rate) = run.trim().split_once('@')?;
                Some((members.parse().ok()?, rate.parse().ok()?))
            })
            .collect()
    });
    if quick {
        Plan {
            quick,
            rtt_warmup: 20,
            rtt_rounds: 300,
            stream: Duration::from_secs(3),
            warmup: Duration::from_millis(500),
            idle: vec![1000],
            parts,
            runs,
        }
    } else {
        Plan {
            quick,
            rtt_warmup: 50,
            rtt_rounds: 1000,
            stream: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            idle: vec![1000, 10_000],
            parts,
            runs,
        }
    }
}

/// The one clock every timestamp is read from.
fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Microseconds since [`start`].
fn now_us() -> u64 {
    start().elapsed().as_micros() as u64
}

fn main() {
    start();
    let plan = plan();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(run(&plan));
    print_report(&plan, &report);
}

struct Report {
    binary: PathBuf,
    /// /proc/loadavg at the start and the end (other work on the machine shares its cores).
    load: [String; 2],
    rtt: Vec<Duration>,
    fanout: Vec<Fanout>,
    idle: Vec<Idle>,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run(plan: &Plan) -> Report {
    let load_start = loadavg();
    let binary = lanchat_binary();
    let data = tempfile::tempdir().expect("coordinator tempdir");
    let mut coord = CoordinatorProcess::start(&binary, data.path());
    eprintln!(
        "coordinator pid {} on {} ({})",
        coord.child.id(),
        coord.addr,
        binary.display()
    );
    let net = Net::new(&coord);

    eprintln!("registering {} accounts...", POOL_USERS + SENDERS + 2);
    let accounts = setup_accounts(&net).await;

    let rtt = if plan.runs("rtt") {
        eprintln!(
            "round trip ({} + {} rounds)...",
            plan.rtt_warmup, plan.rtt_rounds
        );
        measure_rtt(&net, &accounts, plan).await
    } else {
        Vec::new()
    };

    let mut fanout = Vec::new();
    for &(members, rate) in plan.runs.iter().filter(|_| plan.runs("fanout")) {
        let f = measure_fanout(&net, &coord, &accounts, members, rate, plan).await;
        eprintln!(
            "  room {members:>3} @ {rate:>4}/s: {:>9.0} deliveries/s, p50 {}, p99 {}, max {}, \
             coordinator CPU {:.0}%",
            f.deliveries_per_s,
            ms(f.p50),
            ms(f.p99),
            ms(f.max),
            f.coord_cpu * 100.0
        );
        fanout.push(f);
    }

    // A fresh process for the memory figures: nothing left from the streams (freed queues
    // the allocator keeps) may be reused by the idle clients and hide their cost.
    drop(net);
    coord.restart();
    let net = Net::new(&coord);
    let idle = if plan.runs("idle") {
        measure_idle(&net, &coord, &accounts, plan).await
    } else {
        Vec::new()
    };
    drop(net);
    coord.stop();

    Report {
        binary,
        load: [load_start, loadavg()],
        rtt,
        fanout,
        idle,
    }
}

// ---------------------------------------------------------------------------------------
// The coordinator process

/// The release `lanchat` binary: `$LANCHAT_BIN`, else `$CARGO_TARGET_DIR/release/lanchat`,
/// else next to this bench's executable (`target/release/deps/load-…` → `target/release`).
fn lanchat_binary() -> PathBuf {
    if let Ok(path) = std::env::var(BIN_ENV) {
        return PathBuf::from(path);
    }
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("release").join("lanchat"));
    }
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|dir| dir.join("lanchat")));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no lanchat binary found: run `cargo build --release -p lanchat` first \
                 (same CARGO_TARGET_DIR), or set {BIN_ENV}"
            )
        })
}

struct CoordinatorProcess {
    binary: PathBuf,
    data: PathBuf,
    child: Child,
    addr: SocketAddr,
    pin: Pin,
}

impl CoordinatorProcess {
    fn start(binary: &std::path::Path, data: &std::path::Path) -> Self {
        let mut child = Command::new(binary)
            .arg("coordinator")
            .arg("--no-discovery")
            .args(["--listen", "127.0.0.1:0", "--name", "load-bench"])
            .arg("--data")
            .arg(data)
            .args(["--max-messages-per-second", "100000"])
            .env("LANCHAT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the coordinator");
        let stdout = child.stdout.take().expect("coordinator stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = None;
        let mut pin = None;
        while addr.is_none() || pin.is_none() {
            let line = lines
                .next()
                .expect("coordinator exited before printing its address")
                .expect("read coordinator output");
            if let Some(rest) = line.split(" listening on ").nth(1) {
                addr = Some(rest.trim().parse().expect("coordinator address"));
            } else if let Some(rest) = line.strip_prefix("full fingerprint: ") {
                pin = Some(rest.trim().parse().expect("coordinator fingerprint"));
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr: SocketAddr = addr.expect("address");
        assert!(addr.ip().is_loopback(), "coordinator must be on loopback");
        CoordinatorProcess {
            binary: binary.to_path_buf(),
            data: data.to_path_buf(),
            child,
            addr,
            pin: pin.expect("fingerprint"),
        }
    }

    /// Graceful stop (SIGTERM) and wait.
    fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
    }

    /// Stop and start again on the same data (accounts and tokens stay valid).
    fn restart(&mut self) {
        self.stop();
        let fresh = CoordinatorProcess::start(&self.binary, &self.data);
        *self = fresh;
    }

    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
    }

    /// Resident memory, KiB.
    fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS:")
    }

    /// Number of threads (tokio workers and its blocking pool).
    fn threads(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|rest| rest.trim().parse().ok())
            .expect("Threads in /proc/PID/status")
    }

    /// CPU seconds used so far (user + system, all threads).
    fn cpu_s(&self) -> f64 {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime from a `/proc/…/stat` file, in seconds.
fn cpu_of(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).expect("/proc stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // The kernel reports these in USER_HZ, which is 100 on Linux.
    ticks as f64 / 100.0
}

fn self_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

// ---------------------------------------------------------------------------------------
// Raw protocol clients

/// Client endpoints shared by every connection (a UDP socket each).
struct Net {
    endpoints: Vec<quinn::Endpoint>,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    next: AtomicUsize,
}

impl Net {
    fn new(coord: &CoordinatorProcess) -> Arc<Self> {
        let endpoints = (0..CLIENT_ENDPOINTS)
            .map(|_| {
                tls::endpoint("127.0.0.1:0".parse().expect("loopback"), None)
                    .expect("client endpoint")
            })
            .collect();
        Arc::new(Net {
            endpoints,
            config: tls::client_config(coord.pin.clone()).expect("client config"),
            addr: coord.addr,
            next: AtomicUsize::new(0),
        })
    }
}

/// What a session's reader task saw.
#[derive(Debug, Default)]
struct Recorder {
    /// Timed messages (the bench's own) received.
    delivered: AtomicU64,
    /// (receive time, send→receive latency) in µs, for timed messages.
    samples: Mutex<Vec<(u64, u32)>>,
    /// Set when the connection ended; why.
    closed: AtomicBool,
    reason: Mutex<Option<String>>,
    /// When set, chat messages go here instead of being timed.
    forward: Option<mpsc::UnboundedSender<ChatMessage>>,
}

impl Recorder {
    fn message(&self, m: ChatMessage) {
        if let Some(forward) = &self.forward {
            let _ = forward.send(m);
            return;
        }
        if m.kind != MessageKind::Text {
            return;
        }
        let Some(sent) = m.text.split(' ').next().and_then(|t| t.parse::<u64>().ok()) else {
            return;
        };
        let now = now_us();
        let latency = now.saturating_sub(sent).min(u64::from(u32::MAX)) as u32;
        self.samples
            .lock()
            .expect("samples lock")
            .push((now, latency));
        self.delivered.fetch_add(1, Ordering::Release);
    }

    fn end(&self, why: String) {
        *self.reason.lock().expect("reason lock") = Some(why);
        self.closed.store(true, Ordering::Release);
    }
}

/// A reply: request id, result, and when it arrived (µs).
type Answer = (u64, Result<Reply, ErrorInfo>, u64);

/// One logged-in connection: its chat stream's send half; a task reads the other half.
struct Session {
    conn: quinn::Connection,
    send: quinn::SendStream,
    next_id: u64,
    replies: mpsc::UnboundedReceiver<Answer>,
    rec: Arc<Recorder>,
    /// Send times (µs) of posts whose replies are timed, by request id.
    posted: std::collections::HashMap<u64, u64>,
}

async fn read_loop(
    mut recv: quinn::RecvStream,
    replies: mpsc::UnboundedSender<Answer>,
    rec: Arc<Recorder>,
) {
    let mut reader = FrameReader::new();
    loop {
        match reader.next::<ServerFrame>(&mut recv).await {
            Ok(Some(ServerFrame::Reply { id, result })) => {
                let _ = replies.send((id, result, now_us()));
            }
            Ok(Some(ServerFrame::Event(Event::Message(m)))) => rec.message(m),
            Ok(Some(_)) => {}
            Ok(None) => return rec.end("stream finished".into()),
            Err(e) => return rec.end(e.to_string()),
        }
    }
}

impl Session {
    /// Connects, says hello and logs in with `login` (Register, Login or Resume).
    async fn open(net: &Net, login: Request, rec: Arc<Recorder>) -> Result<(Self, Reply), String> {
        let i = net.next.fetch_add(1, Ordering::Relaxed) % net.endpoints.len();
        let conn = net.endpoints[i]
            .connect_with(net.config.clone(), net.addr, "lanchat")
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        let (send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
        let (replies_tx, replies) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(recv, replies_tx, rec.clone()));
        let mut session = Session {
            conn,
            send,
            next_id: 1,
            replies,
            rec,
            posted: Default::default(),
        };
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "load-bench".into(),
        };
        match session.ask(hello).await? {
            Reply::Welcome { .. } => {}
            other => return Err(format!("expected Welcome, got {other:?}")),
        }
        let reply = session.ask(login).await?;
        Ok((session, reply))
    }

    /// Writes a request without waiting for its reply; returns its id.
    async fn post(&mut self, request: Request) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.send, &ClientFrame { id, request })
            .await
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// Sends a request and waits for its reply (skipping replies to earlier posts).
    async fn ask(&mut self, request: Request) -> Result<Reply, String> {
        let id = self.post(request).await?;
        loop {
            match tokio::time::timeout(PATIENCE, self.replies.recv()).await {
                Ok(Some((got, result, _))) if got == id => {
                    return result.map_err(|e| format!("{:?}: {}", e.code, e.message))
                }
                Ok(Some(_)) => continue,
                Ok(None) => return Err("connection closed".into()),
                Err(_) => return Err(format!("no reply within {PATIENCE:?}")),
            }
        }
    }

    /// Like [`Session::post`], remembering the send time for [`Session::drain_replies`].
    async fn post_timed(&mut self, request: Request) -> Result<u64, String> {
        let sent = now_us();
        let id = self.post(request).await?;
        self.posted.insert(id, sent);
        Ok(id)
    }

    /// Replies received so far to posts nobody waited on: the error ones, and for timed
    /// posts (send time, post → reply latency in µs).
    fn drain_replies(&mut self) -> (Vec<String>, Vec<(u64, u32)>) {
        let mut errors = Vec::new();
        let mut acks = Vec::new();
        while let Ok((id, result, at)) = self.replies.try_recv() {
            if let Err(e) = result {
                errors.push(format!("{:?}: {}", e.code, e.message));
            } else if let Some(sent) = self.posted.remove(&id) {
                acks.push((sent, at.saturating_sub(sent) as u32));
            }
        }
        (errors, acks)
    }

    fn close(self) {
        self.conn.close(0u32.into(), b"bye");
    }
}

/// A registered account and a session token for resuming it.
#[derive(Debug, Clone)]
struct Account {
    name: String,
    token: [u8; 32],
}

impl Account {
    fn resume(&self) -> Request {
        Request::Resume { token: self.token }
    }
}

struct Accounts {
    pool: Vec<Account>,
    senders: Vec<Account>,
    rtt: [Account; 2],
}

fn room_name(members: usize) -> String {
    format!("load{members}")
}

/// Users of the pool that join the room of `members` sessions (its receivers are spread over
/// them round robin).
fn receivers_of(members: usize) -> usize {
    (members - SENDERS).min(POOL_USERS)
}

async fn register(net: Arc<Net>, name: String) -> (Session, Account) {
    // OPAQUE: the password stays here; the coordinator keeps the record it is sent.
    let (state, request) = lanchat_net::opaque::Registering::start(PASSWORD).unwrap();
    let start = Request::RegisterStart {
        username: name.clone(),
        request,
    };
    let (mut session, reply) = Session::open(&net, start, Arc::default())
        .await
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    let Reply::RegisterResponse { response } = reply else {
        panic!("register {name}: {reply:?}");
    };
    let upload = state.finish(PASSWORD, &response).unwrap();
    let reply = session
        .ask(Request::RegisterFinish { upload })
        .await
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    let Reply::LoggedIn { token, .. } = reply else {
        panic!("register {name}: {reply:?}");
    };
    (session, Account { name, token })
}

/// Registers every account (two at a time: Argon2 is one core's work each), creates the rooms
/// and joins the users to them.
async fn setup_accounts(net: &Arc<Net>) -> Accounts {
    let names: Vec<String> = (0..SENDERS)
        .map(|i| format!("sender{i}"))
        .chain(["rtt_a".to_string(), "rtt_b".to_string()])
        .chain((0..POOL_USERS).map(|i| format!("user{i:02}")))
        .collect();
    let limit = Arc::new(Semaphore::new(2));
    let mut tasks = JoinSet::new();
    for (i, name) in names.into_iter().enumerate() {
        let (net, limit) = (net.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            (i, register(net, name).await)
        });
    }
    let mut done: Vec<(usize, (Session, Account))> = tasks.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    let mut sessions: Vec<(Session, Account)> = done.into_iter().map(|(_, s)| s).collect();

    for members in ROOMS {
        let room = room_name(members);
        sessions[0]
            .0
            .ask(Request::CreateRoom {
                name: room.clone(),
                private: false,
                full_history: false,
            })
            .await
            .expect("create room");
        // The other senders, then the receiving pool users (after the two round-trip users).
        let pool_start = SENDERS + 2;
        let joiners = (1..SENDERS).chain(pool_start..pool_start + receivers_of(members));
        for i in joiners {
            let (session, account) = &mut sessions[i];
            session
                .ask(Request::JoinRoom { name: room.clone() })
                .await
                .unwrap_or_else(|e| panic!("{} joins #{room}: {e}", account.name));
        }
    }
    let mut accounts: Vec<Account> = Vec::new();
    for (session, account) in sessions {
        session.close();
        accounts.push(account);
    }
    let pool = accounts.split_off(SENDERS + 2);
    let rtt_b = accounts.pop().expect("rtt_b");
    let rtt_a = accounts.pop().expect("rtt_a");
    Accounts {
        pool,
        senders: accounts,
        rtt: [rtt_a, rtt_b],
    }
}

/// Opens one resumed session per entry of `who`, `CONNECT_CONCURRENCY` at a time; returns
/// them in order.
async fn open_many(net: &Arc<Net>, who: Vec<Account>) -> Vec<Session> {
    let limit = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (i, account) in who.into_iter().enumerate() {
        let (net, limit) = (net.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let (session, reply) = Session::open(&net, account.resume(), Arc::default())
                .await
                .unwrap_or_else(|e| panic!("resume {}: {e}", account.name));
            assert!(
                matches!(reply, Reply::LoggedIn { .. }),
                "resume {}: {reply:?}",
                account.name
            );
            (i, session)
        });
    }
    let mut done = tasks.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, s)| s).collect()
}

/// Closes sessions and gives the coordinator a moment to notice.
async fn close_all(sessions: Vec<Session>) {
    for s in sessions {
        s.close();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

// ---------------------------------------------------------------------------------------
// 1. Round trip between two clients

/// rtt_a sends a DM to rtt_b; rtt_b answers as soon as it arrives; the round ends when
/// rtt_a receives the answer. Back to back, nothing else running.
async fn measure_rtt(net: &Arc<Net>, accounts: &Accounts, plan: &Plan) -> Vec<Duration> {
    let open = |account: Account| {
        let net = net.clone();
        async move {
            let (tx, rx) = mpsc::unbounded_channel();
            let rec = Arc::new(Recorder {
                forward: Some(tx),
                ..Recorder::default()
            });
            let (session, _) = Session::open(&net, account.resume(), rec)
                .await
                .unwrap_or_else(|e| panic!("resume {}: {e}", account.name));
            (session, rx)
        }
    };
    let [a_acc, b_acc] = accounts.rtt.clone();
    let (mut a, mut a_rx) = open(a_acc.clone()).await;
    let (mut b, mut b_rx) = open(b_acc.clone()).await;

    // Each side also receives its own message back (every session of every member gets
    // it): wait for the other's.
    async fn from(rx: &mut mpsc::UnboundedReceiver<ChatMessage>, sender: &str) -> ChatMessage {
        loop {
            let m = tokio::time::timeout(PATIENCE, rx.recv())
                .await
                .expect("round trip message in time")
                .expect("connection open");
            if m.sender == sender {
                return m;
            }
        }
    }

    let mut times = Vec::with_capacity(plan.rtt_rounds);
    for i in 0..plan.rtt_warmup + plan.rtt_rounds {
        let t0 = Instant::now();
        a.post(Request::Send {
            conv: ConvRef::Dm(b_acc.name.clone()),
            id: MsgId::random(),
            text: format!("ping {i}"),
            reply_to: None,
        })
        .await
        .expect("a sends");
        let got = from(&mut b_rx, &a_acc.name).await;
        b.post(Request::Send {
            conv: ConvRef::Dm(a_acc.name.clone()),
            id: MsgId::random(),
            text: format!("re: {}", got.text),
            reply_to: None,
        })
        .await
        .expect("b answers");
        let back = from(&mut a_rx, &b_acc.name).await;
        let took = t0.elapsed();
        assert_eq!(
            back.text,
            format!("re: ping {i}"),
            "answers arrive in order"
        );
        if i >= plan.rtt_warmup {
            times.push(took);
        }
        if i % 100 == 0 {
            for s in [&mut a, &mut b] {
                let (errors, _) = s.drain_replies();
                assert!(errors.is_empty(), "round trip refused: {errors:?}");
            }
        }
    }
    close_all(vec![a, b]).await;
    times
}

// ---------------------------------------------------------------------------------------
// 2. Fan-out

struct Fanout {
    members: usize,
    offered: u32,
    sent: u64,
    /// Messages per second actually sent over the stream.
    sent_per_s: f64,
    deliveries_per_s: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Send → the sender's `Sent` reply (committed and fanned out), p50 and p99.
    ack_p50: Duration,
    ack_p99: Duration,
    /// Deliveries that never came (sessions dropped, drain gave up).
    missing: u64,
    evicted: Vec<String>,
    /// Fraction of one core over the stream.
    coord_cpu: f64,
    /// Coordinator CPU over the stream per delivery made during it (all its work counted).
    coord_us_per_delivery: f64,
    bench_cpu: f64,
    /// How long the senders waited on IN_FLIGHT_CAP in all.
    capped: Duration,
    errors: Vec<String>,
}

/// Every live session's timed deliveries: the least of them.
fn slowest(sessions: &[Session]) -> u64 {
    sessions
        .iter()
        .filter(|s| !s.rec.closed.load(Ordering::Acquire))
        .map(|s| s.rec.delivered.load(Ordering::Acquire))
        .min()
        .unwrap_or(u64::MAX)
}

async fn measure_fanout(
    net: &Arc<Net>,
    coord: &CoordinatorProcess,
    accounts: &Accounts,
    members: usize,
    rate: u32,
    plan: &Plan,
) -> Fanout {
    let room = room_name(members);
    let receivers = receivers_of(members);
    let who: Vec<Account> = accounts
        .senders
        .iter()
        .cloned()
        .chain((0..members - SENDERS).map(|i| accounts.pool[i % receivers].clone()))
        .collect();
    let mut sessions = open_many(net, who).await;
    // Let logins, presence changes and handshakes settle before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let total = (f64::from(rate) * plan.stream.as_secs_f64()).round() as u64;
    // Room for every sample up front: growing 500 vectors during the stream (copies, page
    // faults) was a tenth of this process's CPU, which the coordinator shares.
    for s in &sessions {
        s.rec
            .samples
            .lock()
            .expect("samples lock")
            .reserve(total as usize);
    }
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    // The stream lasts plan.stream whatever happens; held-back messages are not sent.
    let deadline = Instant::now() + plan.stream;
    let (coord_cpu0, bench_cpu0) = (coord.cpu_s(), cpu_of("/proc/self/stat"));
    // A mark for profiling the coordinator during the stream only.
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
                floor = slowest(&sessions);
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
        let text = format!("{} load-bench message {k} to #{room}", now_us());
        let request = Request::Send {
            conv: ConvRef::Room(room.clone()),
            id: MsgId::random(),
            text,
            reply_to: None,
        };
        if let Err(e) = sender.post_timed(request).await {
            eprintln!("  sender lost: {e}");
            break;
        }
        sent += 1;
    }
    let send_time = t0.elapsed().max(plan.stream);
    let send_end_us = now_us();
    let (coord_cpu1, bench_cpu1) = (coord.cpu_s(), cpu_of("/proc/self/stat"));

    // Drain: until every live session has every message, or nothing moves for a while.
    let mut last = (0u64, Instant::now());
    loop {
        let total_now: u64 = sessions
            .iter()
            .map(|s| s.rec.delivered.load(Ordering::Acquire))
            .sum();
        if slowest(&sessions) >= sent {
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
        if let Some(why) = s.rec.reason.lock().expect("reason").clone() {
            evicted.push(why);
        }
        let samples = std::mem::take(&mut *s.rec.samples.lock().expect("samples"));
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
    close_all(sessions).await;

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
        ack_p50: ack(50.0),
        ack_p99: ack(99.0),
        missing: (sent * members as u64).saturating_sub(delivered),
        evicted,
        coord_cpu: (coord_cpu1 - coord_cpu0) / stream_s,
        coord_us_per_delivery: (coord_cpu1 - coord_cpu0) * 1e6 / in_stream.max(1) as f64,
        bench_cpu: (bench_cpu1 - bench_cpu0) / stream_s,
        capped,
        errors,
    }
}

// ---------------------------------------------------------------------------------------
// 3. Idle clients

struct Idle {
    clients: usize,
    rss_before_kb: u64,
    rss_after_kb: u64,
    bench_kb_per_client: f64,
    connect_time: Duration,
    /// Coordinator CPU (fraction of one core) while they sit idle (keep-alives).
    idle_cpu: f64,
    still_connected: usize,
    /// The coordinator's thread count when measured.
    threads: u64,
}

impl Idle {
    fn kb_per_client(&self) -> f64 {
        (self.rss_after_kb as f64 - self.rss_before_kb as f64) / self.clients as f64
    }
}

/// Connects idle, logged-in clients in steps up to each count of `plan.idle` (spread over
/// the pool's users round robin) and reads the coordinator's resident memory.
async fn measure_idle(
    net: &Arc<Net>,
    coord: &CoordinatorProcess,
    accounts: &Accounts,
    plan: &Plan,
) -> Vec<Idle> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_kb = coord.rss_kb();
    let bench_before_kb = self_rss_kb();
    let mut sessions: Vec<Session> = Vec::new();
    let mut out = Vec::new();
    for &n in &plan.idle {
        let more = n - sessions.len();
        eprintln!("connecting idle clients: {} -> {n}...", sessions.len());
        let who: Vec<Account> = (sessions.len()..n)
            .map(|i| accounts.pool[i % POOL_USERS].clone())
            .collect();
        let t = Instant::now();
        sessions.extend(open_many(net, who).await);
        let connect_time = t.elapsed();
        let connected = Instant::now();
        eprintln!(
            "  {more} connected and logged in in {:.1} s",
            connect_time.as_secs_f64()
        );
        // Settle (handshake leftovers, first keep-alives), then measure memory and the
        // steady keep-alive CPU over a few keep-alive intervals.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu0 = coord.cpu_s();
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(6)).await;
        let idle_cpu = (coord.cpu_s() - cpu0) / t.elapsed().as_secs_f64();
        let (early_kb, early) = (coord.rss_kb(), connected.elapsed());
        let rss_after_kb = settled_rss(coord).await;
        let still_connected = sessions
            .iter()
            .filter(|s| !s.rec.closed.load(Ordering::Acquire))
            .count();
        let idle = Idle {
            clients: n,
            rss_before_kb,
            rss_after_kb,
            bench_kb_per_client: (self_rss_kb() as f64 - bench_before_kb as f64) / n as f64,
            connect_time,
            idle_cpu,
            still_connected,
            threads: coord.threads(),
        };
        eprintln!(
            "  coordinator RSS {} -> {} KiB: {:.1} KB per client, settled {:.0} s after \
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
    close_all(sessions).await;
    out
}

/// How often the settling memory is read, and how little it may still grow between two
/// readings (a fraction) to count as settled.
const SETTLE_STEP: Duration = Duration::from_secs(10);
const SETTLED_GROWTH: f64 = 0.002;
/// Shortest and longest wait for memory to settle. The shortest covers the 32 datagrams
/// after which quinn's channel grows (see [`settled_rss`]): keep-alives come every 3 s each way.
const SETTLE_MIN: Duration = Duration::from_secs(60);
const SETTLE_MAX: Duration = Duration::from_secs(180);

/// The coordinator's RSS once idle connections have stopped growing.
///
/// Why wait: an idle connection keeps growing for a minute or so. quinn passes each received
/// datagram to its connection through a tokio channel that allocates 32 event slots (6.5 KB) at
/// a time and, once a connection has received 32 datagrams (about 45 s of keep-alives each
/// way), keeps a second such block for reuse. Read 8 s after connecting, 10,000 idle clients
/// measured 31 KB each; settled, 37 KB.
async fn settled_rss(coord: &CoordinatorProcess) -> u64 {
    let start = Instant::now();
    let mut last = coord.rss_kb();
    loop {
        tokio::time::sleep(SETTLE_STEP).await;
        let now = coord.rss_kb();
        let growth = (now as f64 - last as f64) / last as f64;
        let waited = start.elapsed();
        if (growth < SETTLED_GROWTH && waited >= SETTLE_MIN) || waited >= SETTLE_MAX {
            return now;
        }
        last = now;
    }
}

// ---------------------------------------------------------------------------------------
// Report

/// Nearest-rank percentile (`p` in 0..=100) of sorted samples.
fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn thousands(x: f64) -> String {
    let digits = (x.round() as u64).to_string().into_bytes();
    let groups: Vec<&str> = digits
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "NO"
    }
}

fn print_report(plan: &Plan, r: &Report) {
    let mut rtt = r.rtt.clone();
    rtt.sort();
    let rtt_p50 = percentile(&rtt, 50.0);
    let rtt_p99 = percentile(&rtt, 99.0);

    println!();
    println!(
        "lanchat load ({}; coordinator: {})",
        if plan.quick { "quick" } else { "full" },
        r.binary.display()
    );
    println!(
        "load average (1/5/15 min) at start: {}, at end: {} on {} cores",
        r.load[0],
        r.load[1],
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
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
        "coord",
        "µs/dl",
        "bench",
        "capped",
        "missing"
    );
    println!("{}", "-".repeat(127));
    for f in &r.fanout {
        println!(
            "{:>5} {:>7} {:>7.0} {:>12} {:>10} {:>10} {:>10} {:>9} {:>9} {:>5.0}% {:>6.1} {:>5.0}% {:>5.1}s {:>7}",
            f.members,
            f.offered,
            f.sent_per_s,
            thousands(f.deliveries_per_s),
            ms(f.p50),
            ms(f.p99),
            ms(f.max),
            ms(f.ack_p50),
            ms(f.ack_p99),
            f.coord_cpu * 100.0,
            f.coord_us_per_delivery,
            f.bench_cpu * 100.0,
            f.capped.as_secs_f64(),
            f.missing,
        );
    }
    println!("{}", "-".repeat(127));
    for f in &r.fanout {
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
    println!();
    println!(
        "round trip A -> coordinator -> B -> coordinator -> A (DM, unloaded): n={}, p50 {}, \
         p99 {}, max {}",
        rtt.len(),
        us(rtt_p50),
        us(rtt_p99),
        us(percentile(&rtt, 100.0))
    );
    println!();
    println!(
        "{:>8} {:>12} {:>12} {:>8} {:>9} {:>10} {:>9} {:>8} {:>10} {:>9}",
        "idle",
        "coord RSS",
        "coord RSS",
        "KB per",
        "marginal",
        "connect +",
        "idle CPU",
        "coord",
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
        "(coord)",
        "threads",
        "per client",
        "connected"
    );
    println!("{}", "-".repeat(104));
    let mut prev: Option<&Idle> = None;
    for i in &r.idle {
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

    // Against the reference.
    let big = r
        .fanout
        .iter()
        .filter(|f| f.members == 500)
        .max_by_key(|f| f.offered);
    let most_idle = r.idle.iter().max_by_key(|i| i.clients);
    println!();
    println!("against ngIRCd (plain TCP, no encryption; figures from the issue):");
    println!(
        "{:<36} {:>14} {:>12} {:>9} {:>22}",
        "", "lanchat", "ngIRCd", "ratio", "issue's target met?"
    );
    println!("{}", "-".repeat(97));
    println!(
        "{:<36} {:>14} {:>12} {:>8.1}x {:>22}",
        "round trip p50",
        us(rtt_p50),
        format!("{REF_RTT_P50_US:.0} µs"),
        rtt_p50.as_secs_f64() * 1e6 / REF_RTT_P50_US,
        "-"
    );
    println!(
        "{:<36} {:>14} {:>12} {:>8.1}x {:>22}",
        "round trip p99",
        us(rtt_p99),
        format!("{REF_RTT_P99_US:.0} µs"),
        rtt_p99.as_secs_f64() * 1e6 / REF_RTT_P99_US,
        "-"
    );
    if let Some(f) = big {
        println!(
            "{:<36} {:>14} {:>12} {:>8.2}x {:>22}",
            format!("500-room, {}/s offered: deliveries/s", f.offered),
            thousands(f.deliveries_per_s),
            thousands(REF_DELIVERIES_PER_S),
            f.deliveries_per_s / REF_DELIVERIES_PER_S,
            format!(
                "{} (>= 0.5x)",
                yes_no(f.deliveries_per_s >= REF_DELIVERIES_PER_S / 2.0)
            )
        );
        let p99_ms = f.p99.as_secs_f64() * 1e3;
        println!(
            "{:<36} {:>14} {:>12} {:>8.2}x {:>22}",
            "500-room: delivery p99",
            ms(f.p99),
            format!("{REF_FANOUT_P99_MS:.0} ms"),
            p99_ms / REF_FANOUT_P99_MS,
            format!("{} (< 70 ms)", yes_no(p99_ms < REF_FANOUT_P99_MS))
        );
    }
    if let Some(i) = most_idle {
        println!(
            "{:<36} {:>14} {:>12} {:>8.1}x {:>22}",
            format!(
                "coordinator memory, {} idle clients",
                thousands(i.clients as f64)
            ),
            format!("{:.1} KB", i.kb_per_client()),
            format!("{REF_KB_PER_CLIENT:.0} KB"),
            i.kb_per_client() / REF_KB_PER_CLIENT,
            format!(
                "{} (< 32 KB)",
                yes_no(i.kb_per_client() < TARGET_KB_PER_CLIENT)
            )
        );
    }
    println!("{}", "-".repeat(97));
    println!();
    println!("notes:");
    println!("- all on 127.0.0.1, no multicast (--no-discovery). The coordinator is the release");
    println!("  binary in its own process (its default tokio runtime: one worker per core); the");
    println!(
        "  clients are raw protocol clients (QUIC + TLS 1.3 + postcard frames, not the client"
    );
    println!(
        "  engine) on one multi-threaded runtime here, over {CLIENT_ENDPOINTS} shared UDP sockets. Both"
    );
    println!("  share this machine's cores: coord/bench = CPU of each over the stream, in % of");
    println!("  one core; µs/dl = coordinator CPU over the stream / deliveries made in it.");
    println!(
        "- a room of N is N sessions (the {SENDERS} senders included: the coordinator sends every"
    );
    println!("  message to every session of every member); deliveries/s counts receptions during");
    println!("  the timed part of the stream; p50/p99/max: send (stamped in the text) to");
    println!("  reception, over every delivery of a message sent after the untimed start.");
    println!(
        "- open loop at the offered rate, except that the senders hold back while the slowest"
    );
    println!(
        "  session is {IN_FLIGHT_CAP} messages behind (capped = total hold-back): the coordinator"
    );
    println!("  drops a session with 1,024 frames queued, so an unbounded stream it cannot keep");
    println!(
        "  up with would evict the receivers. sent/s below offered = the coordinator's limit."
    );
    println!("- round trip: back to back; each message is committed (fsync) before delivery.");
    println!("- idle clients are logged in (Resume), spread over {POOL_USERS} accounts; memory is");
    println!(
        "  the coordinator's VmRSS on a freshly restarted process before them, and after them"
    );
    println!("  once it has stopped growing (under 0.2% in 10 s; quinn's per-connection event");
    println!("  channel gains a second 6.5 KB block after ~45 s of keep-alives);");
    println!("  idle CPU: their keep-alives (every 3 s) over 6 s. marginal: per client added");
    println!("  since the previous row. ack: send -> the sender's Sent reply (commit + fan-out).");
    println!(
        "- a session's outbox queues encoded frames (bytes::Bytes, {} bytes each; the bytes of",
        std::mem::size_of::<bytes::Bytes>()
    );
    println!("  a room message are shared by every member's queue).");
}
