//! File-transfer throughput on one machine: files moved through the real client engine between
//! two clients, directly and through the coordinator's relay, next to the references that
//! bound it, all measured in the same run — the disk's write limit (`dd` with fsync), scp
//! file to file (against an sshd the bench starts in a network namespace of its own, when
//! OpenSSH's server is installed), a plain TCP copy over loopback (the ceiling) and a bare
//! quinn stream with default and with lanchat's settings (the QUIC transport alone).
//!
//! Run with `cargo bench -p lanchat-bench --bench files`. Prints one table, whether UDP
//! segmentation offload is in use, and the file-speed goals as same-run ratios.
//! `LANCHAT_BENCH_QUICK=1` skips the 1 GiB rows (1 MiB and 64 MiB only);
//! `LANCHAT_BENCH_ONLY=direct,relayed` runs only the rows named (keys: dd, scp, tcp, quinn,
//! quinn-tuned, direct, relayed, direct-1500, relayed-1500, many-small), e.g. under
//! `perf record`.
//!
//! What a lanchat row times: from `Command::SendFiles` to the sender's `Event::TransferDone`,
//! which includes the offer, the acceptance (sent as soon as `FileOffered` arrives),
//! connecting (direct: the first offer to a peer; later ones reuse the connection), reading
//! and hashing, sending, receiving, writing and hashing, fsync, verifying and renaming. The
//! many-small row sends a folder of 1,000 files of 100 KiB as one offer, next to one 100 MiB
//! file on the same engines. The source file is written to a temp
//! directory first (so it is in the page cache, as a file just saved usually is); the
//! received file goes to a temp directory on the same disk and is removed after each run.
//!
//! The references move the same number of bytes memory to memory (64 KiB writes, the receiver
//! discards), each on a fresh connection whose set-up is inside the time, like a direct
//! transfer's.
//!
//! CPU: utime + stime of this whole process (from `/proc/self/stat`, the same accounting as
//! getrusage(RUSAGE_SELF), 10 ms resolution) across the runs of a row, per GiB moved. Both
//! ends run in this process, so it is both ends together, and for relayed rows the
//! coordinator too.
//!
//! Network safety: every socket is on 127.0.0.1 and there is no multicast at all: the engines
//! are given the coordinator's address and fingerprint.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lanchat_client::{Command, Engine, EngineConfig, Event, Target, TransferKey};
use lanchat_coordinator::{Coordinator, CoordinatorConfig};
use lanchat_net::fingerprint::Pin;
use lanchat_net::tls::{self, Identity};

#[path = "files/disk.rs"]
mod disk;
#[path = "files/report.rs"]
mod report;
#[path = "files/scp.rs"]
mod scp;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// Write size of the references.
const WRITE: usize = 64 * 1024;
/// Failure guard for any one awaited event; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);
/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";
/// The datagram cap for the "1500 MTU" rows: a 1500-byte Ethernet frame minus the IPv4 and
/// UDP headers.
const ETHERNET_PAYLOAD: &str = "1472";
/// Set to anything but 0 to skip the 1 GiB size.
const QUICK_ENV: &str = "LANCHAT_BENCH_QUICK";
/// A comma-separated list of row keys ([`Row::key`]) to run only those (for profiling one
/// path with `perf record`); unset: every row.
const ONLY_ENV: &str = "LANCHAT_BENCH_ONLY";
/// The variable `lanchat_net::tls` reads for the datagram cap.
const MAX_UDP_PAYLOAD_ENV: &str = tls::MAX_UDP_PAYLOAD_ENV;

/// One file size and how often each row moves it (medians are printed).
#[derive(Debug, Clone, Copy)]
struct Size {
    label: &'static str,
    bytes: u64,
    reps: usize,
}

fn sizes() -> Vec<Size> {
    let quick = std::env::var(QUICK_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let mut sizes = vec![
        Size {
            label: "1 MiB",
            bytes: MIB,
            reps: 20,
        },
        Size {
            label: "64 MiB",
            bytes: 64 * MIB,
            reps: 3,
        },
    ];
    if !quick {
        sizes.push(Size {
            label: "1 GiB",
            bytes: GIB,
            reps: 2,
        });
    }
    sizes
}

/// The rows of the table, in print order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Disk,
    Scp,
    Tcp,
    Quinn,
    QuinnTuned,
    Direct,
    Relayed,
    Direct1500,
    Relayed1500,
    /// 1,000 files of 100 KiB in one offer (a folder), direct.
    ManySmall,
}

impl Row {
    const ALL: [Row; 10] = [
        Row::Disk,
        Row::Scp,
        Row::Tcp,
        Row::Quinn,
        Row::QuinnTuned,
        Row::Direct,
        Row::Relayed,
        Row::Direct1500,
        Row::Relayed1500,
        Row::ManySmall,
    ];

    fn label(self) -> &'static str {
        match self {
            Row::Disk => "dd to disk, fsync (write limit)",
            Row::Scp => "scp aes128-gcm, file->file, sync",
            Row::Tcp => "TCP loopback, mem->mem (ceiling)",
            Row::Quinn => "bare quinn, defaults, mem->mem",
            Row::QuinnTuned => "bare quinn, lanchat's tuning, mem->mem",
            Row::Direct => "lanchat direct, file->file",
            Row::Relayed => "lanchat relayed, file->file",
            Row::Direct1500 => "lanchat direct, 1500 MTU",
            Row::Relayed1500 => "lanchat relayed, 1500 MTU",
            Row::ManySmall => "lanchat direct, 1,000 x 100 KiB, 1 offer",
        }
    }

    /// The row's name in [`ONLY_ENV`].
    fn key(self) -> &'static str {
        match self {
            Row::Disk => "dd",
            Row::Scp => "scp",
            Row::Tcp => "tcp",
            Row::Quinn => "quinn",
            Row::QuinnTuned => "quinn-tuned",
            Row::Direct => "direct",
            Row::Relayed => "relayed",
            Row::Direct1500 => "direct-1500",
            Row::Relayed1500 => "relayed-1500",
            Row::ManySmall => "many-small",
        }
    }

    /// Whether this run measures the row ([`ONLY_ENV`]).
    fn wanted(self) -> bool {
        match std::env::var(ONLY_ENV) {
            Ok(only) if !only.trim().is_empty() => only.split(',').any(|k| k.trim() == self.key()),
            _ => true,
        }
    }

    fn is_lanchat(self) -> bool {
        !matches!(
            self,
            Row::Disk | Row::Scp | Row::Tcp | Row::Quinn | Row::QuinnTuned
        )
    }
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    secs: f64,
    cpu: f64,
}

/// What a row measured at one size.
#[derive(Debug)]
struct Measured {
    row: Row,
    size: Size,
    samples: Vec<Sample>,
}

impl Measured {
    fn sorted_secs(&self) -> Vec<f64> {
        let mut s: Vec<f64> = self.samples.iter().map(|s| s.secs).collect();
        s.sort_by(f64::total_cmp);
        s
    }

    /// The median time of one run.
    fn median_secs(&self) -> f64 {
        let s = self.sorted_secs();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }

    /// MB/s (10^6 bytes per second) at the median time.
    fn mbps(&self) -> f64 {
        self.size.bytes as f64 / self.median_secs() / 1e6
    }

    /// MB/s of the slowest and the fastest run.
    fn range(&self) -> (f64, f64) {
        let s = self.sorted_secs();
        let mb = self.size.bytes as f64 / 1e6;
        (mb / s[s.len() - 1], mb / s[0])
    }

    /// CPU seconds (whole process) per GiB moved, over all runs.
    fn cpu_per_gib(&self) -> f64 {
        let cpu: f64 = self.samples.iter().map(|s| s.cpu).sum();
        let moved = self.size.bytes as f64 * self.samples.len() as f64;
        cpu / (moved / GIB as f64)
    }
}

fn main() {
    // The rows say which datagram size they use; an inherited setting would mislabel them.
    std::env::remove_var(MAX_UDP_PAYLOAD_ENV);
    let sizes = sizes();
    let work = tempfile::tempdir().expect("bench tempdir");
    let sources: Vec<PathBuf> = sizes
        .iter()
        .map(|s| make_file(work.path(), s.bytes))
        .collect();

    let mut results: Vec<Measured> = Vec::new();
    let mut record = |row: Row, size: Size, samples: Vec<Sample>| {
        let m = Measured { row, size, samples };
        eprintln!(
            "  {:<40} {:>7}: {:>7.0} MB/s",
            row.label(),
            size.label,
            m.mbps()
        );
        results.push(m);
    };

    // Sizes only some rows measure (the many-small-files comparison).
    let mut extra_sizes: Vec<Size> = Vec::new();
    eprintln!("references...");
    let inbox = work.path().join("inbox");
    let scp = if Row::Scp.wanted() {
        scp::Scp::start()
    } else {
        Err(format!("not selected in {ONLY_ENV}"))
    };
    if let Err(why) = &scp {
        eprintln!("  scp reference skipped: {why}");
    }
    for (&size, src) in sizes.iter().zip(&sources) {
        if Row::Disk.wanted() {
            if let Some(samples) = (0..size.reps)
                .map(|_| disk::dd_copy(src, &inbox))
                .collect::<Option<Vec<_>>>()
            {
                record(Row::Disk, size, samples);
            }
        }
        if let Ok(scp) = &scp {
            record(Row::Scp, size, repeat(size, || scp.copy(src, &inbox)));
        }
        if Row::Tcp.wanted() {
            record(Row::Tcp, size, repeat(size, || tcp_copy(size.bytes)));
        }
        for (row, tuned) in [(Row::Quinn, false), (Row::QuinnTuned, true)] {
            if row.wanted() {
                record(row, size, repeat(size, || quinn_copy(size.bytes, tuned)));
            }
        }
    }

    // Each datagram-size setting gets its own coordinator and engines, started with the
    // variable set (it is read when endpoints and connections are configured) and stopped
    // before it changes. Nothing else runs while it is changed.
    for (cap, direct_row, relayed_row) in [
        (None, Row::Direct, Row::Relayed),
        (Some(ETHERNET_PAYLOAD), Row::Direct1500, Row::Relayed1500),
    ] {
        if !direct_row.wanted() && !relayed_row.wanted() {
            continue;
        }
        match cap {
            Some(v) => std::env::set_var(MAX_UDP_PAYLOAD_ENV, v),
            None => std::env::remove_var(MAX_UDP_PAYLOAD_ENV),
        }
        eprintln!(
            "lanchat, datagram cap {}...",
            cap.unwrap_or("none (MTU discovery)")
        );
        let office = Office::start();
        for (&size, src) in sizes.iter().zip(&sources) {
            for (row, to) in [(direct_row, &office.bob), (relayed_row, &office.carol)] {
                if !row.wanted() {
                    continue;
                }
                let direct = matches!(row, Row::Direct | Row::Direct1500);
                let samples = repeat(size, || {
                    lanchat_transfer(&office.alice, to, src, &inbox, direct)
                });
                record(row, size, samples);
            }
        }
        // Many small files in one offer against one file of the same total, both direct.
        if cap.is_none() && Row::ManySmall.wanted() {
            let small = Size {
                label: "100 MiB",
                bytes: 100 * MIB,
                reps: 3,
            };
            let folder = make_folder(work.path(), 1000, 100 * 1024);
            let one = make_file(work.path(), small.bytes);
            for (row, src) in [(Row::Direct, &one), (Row::ManySmall, &folder)] {
                let samples = repeat(small, || {
                    lanchat_transfer(&office.alice, &office.bob, src, &inbox, true)
                });
                record(row, small, samples);
            }
            extra_sizes.push(small);
        }
        office.stop();
    }
    std::env::remove_var(MAX_UDP_PAYLOAD_ENV);
    let scp_skipped = scp.err();

    let sizes: Vec<Size> = sizes.into_iter().chain(extra_sizes).collect();
    report::print_table(&sizes, &results);
    println!("{}", disk::offload_report());
    report::print_goals(&sizes, &results, scp_skipped.as_deref());
}

fn repeat(size: Size, mut run: impl FnMut() -> Sample) -> Vec<Sample> {
    (0..size.reps).map(|_| run()).collect()
}

/// A file of `len` pseudo-random (incompressible) bytes.
fn make_file(dir: &Path, len: u64) -> PathBuf {
    make_file_seeded(dir, len, 0)
}

/// [`make_file`] with content that differs for each `seed`.
fn make_file_seeded(dir: &Path, len: u64, seed: u64) -> PathBuf {
    let path = dir.join(format!("source-{len}-{seed}.bin"));
    let mut file = std::io::BufWriter::with_capacity(
        MIB as usize,
        std::fs::File::create(&path).expect("create source"),
    );
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ len ^ seed.rotate_left(32);
    let mut buf = vec![0u8; MIB as usize];
    let mut left = len;
    while left > 0 {
        for word in buf.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        file.write_all(&buf[..n]).expect("write source");
        left -= n as u64;
    }
    file.flush().expect("flush source");
    path
}

/// CPU seconds this process has used so far (all threads, user + system).
fn cpu_now() -> f64 {
    proc_stat_secs(11)
}

/// CPU seconds of this process's waited-for children (dd, scp) so far.
fn cpu_children_now() -> f64 {
    proc_stat_secs(13)
}

/// The sum of the two tick counters at `index` and `index + 1` of `/proc/self/stat` (counted
/// after the command name), in seconds.
fn proc_stat_secs(index: usize) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name: utime and stime are fields 14 and 15
    // (indexes 11 and 12 here), cutime and cstime 16 and 17.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[index].parse::<u64>().expect("ticks")
        + fields[index + 1].parse::<u64>().expect("ticks");
    // The kernel reports these in USER_HZ, which is 100 on Linux.
    ticks as f64 / 100.0
}

// ---------------------------------------------------------------------------------------
// Reference 1: plain TCP over loopback

/// Connect, write `bytes` in 64 KiB writes, shut down, and wait for the receiver's one-byte
/// acknowledgement that it read everything.
fn tcp_copy(bytes: u64) -> Sample {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("address");
    let receiver = thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; WRITE];
        let mut got = 0u64;
        loop {
            match s.read(&mut buf).expect("read") {
                0 => break,
                n => got += n as u64,
            }
        }
        s.write_all(&[1]).expect("acknowledge");
        got
    });
    let buf = pattern();
    let cpu0 = cpu_now();
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut left = bytes;
    while left > 0 {
        let n = left.min(WRITE as u64) as usize;
        s.write_all(&buf[..n]).expect("write");
        left -= n as u64;
    }
    s.shutdown(Shutdown::Write).expect("shutdown");
    let mut ack = [0u8; 1];
    s.read_exact(&mut ack).expect("acknowledgement");
    let sample = Sample {
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_now() - cpu0,
    };
    assert_eq!(receiver.join().expect("receiver"), bytes);
    sample
}

fn pattern() -> Vec<u8> {
    (0..WRITE).map(|i| (i * 131 % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------
// Reference 2: a bare quinn stream

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Like `tcp_copy`, on one QUIC stream of a fresh connection, each end on its own thread and
/// single-threaded runtime (as each engine is). TLS 1.3 with a self-signed certificate
/// (lanchat's pinned-certificate configs). `tuned`: lanchat's transport and endpoint settings
/// (`lanchat_net::tls`); else quinn's defaults.
fn quinn_copy(bytes: u64, tuned: bool) -> Sample {
    let local: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
    let identity = Identity::generate().expect("certificate");
    let mut server_config = tls::server_config(&identity).expect("server config");
    let mut client_config =
        tls::client_config(Pin::exact(identity.fingerprint())).expect("client config");
    if !tuned {
        server_config.transport_config(Arc::new(quinn::TransportConfig::default()));
        client_config.transport_config(Arc::new(quinn::TransportConfig::default()));
    }

    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let receiver = thread::spawn(move || {
        current_thread().block_on(async move {
            let endpoint = if tuned {
                tls::endpoint(local, Some(server_config))
            } else {
                quinn::Endpoint::server(server_config, local)
            }
            .expect("server endpoint");
            addr_tx
                .send(endpoint.local_addr().expect("address"))
                .expect("send address");
            let conn = endpoint
                .accept()
                .await
                .expect("incoming")
                .await
                .expect("handshake");
            let (mut send, mut recv) = conn.accept_bi().await.expect("stream");
            let mut got = 0u64;
            while let Some(chunk) = recv.read_chunk(usize::MAX, true).await.expect("read") {
                got += chunk.bytes.len() as u64;
            }
            send.write_all(&[1]).await.expect("acknowledge");
            let _ = send.finish();
            conn.closed().await;
            endpoint.wait_idle().await;
            got
        })
    });
    let addr = addr_rx.recv().expect("server address");
    let sample = current_thread().block_on(async move {
        let endpoint = if tuned {
            tls::endpoint(local, None)
        } else {
            quinn::Endpoint::client(local)
        }
        .expect("client endpoint");
        let buf = pattern();
        let cpu0 = cpu_now();
        let t0 = Instant::now();
        let conn = endpoint
            .connect_with(client_config, addr, "lanchat")
            .expect("connect")
            .await
            .expect("handshake");
        let (mut send, mut recv) = conn.open_bi().await.expect("stream");
        let mut left = bytes;
        while left > 0 {
            let n = left.min(WRITE as u64) as usize;
            send.write_all(&buf[..n]).await.expect("write");
            left -= n as u64;
        }
        send.finish().expect("finish");
        let mut ack = [0u8; 1];
        recv.read_exact(&mut ack).await.expect("acknowledgement");
        let sample = Sample {
            secs: t0.elapsed().as_secs_f64(),
            cpu: cpu_now() - cpu0,
        };
        conn.close(0u32.into(), b"done");
        endpoint.wait_idle().await;
        sample
    });
    assert_eq!(receiver.join().expect("receiver"), bytes);
    sample
}

// ---------------------------------------------------------------------------------------
// lanchat: coordinator and engines in this process

/// An engine with a data directory of its own. Fields drop in order: the engine stops
/// before its directory is removed.
struct Client {
    engine: Engine,
    name: String,
    _data: tempfile::TempDir,
}

/// A coordinator and three users: alice sends, bob accepts direct connections, carol does
/// not (so files to her go through the relay).
struct Office {
    alice: Client,
    bob: Client,
    carol: Client,
    coordinator: Coordinator,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Office {
    fn start() -> Office {
        let dir = tempfile::tempdir().expect("coordinator tempdir");
        // The coordinator's tasks live on this runtime (two workers, as on a 2-core server).
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
                ..CoordinatorConfig::new(dir.path().join("coord"))
            })
            .expect("coordinator starts")
        };
        let target = Target {
            addr: coordinator.local_addr().expect("coordinator address"),
            pin: Pin::exact(coordinator.fingerprint()),
        };
        let alice = register(&target, "alice", true);
        let bob = register(&target, "bob", true);
        let carol = register(&target, "carol", false);
        let office = Office {
            alice,
            bob,
            carol,
            coordinator,
            runtime,
            _dir: dir,
        };
        // One untimed transfer each way first: both recipients' endpoints are known to the
        // coordinator and every code path has run once.
        let warm = tempfile::tempdir().expect("warm-up tempdir");
        let src = make_file(warm.path(), 64 * 1024);
        lanchat_transfer(
            &office.alice,
            &office.bob,
            &src,
            &warm.path().join("in"),
            true,
        );
        lanchat_transfer(
            &office.alice,
            &office.carol,
            &src,
            &warm.path().join("in"),
            false,
        );
        office
    }

    fn stop(self) {
        let Office {
            alice,
            bob,
            carol,
            coordinator,
            runtime,
            _dir,
        } = self;
        drop((alice, bob, carol));
        runtime.block_on(coordinator.shutdown("bench finished"));
    }
}

fn register(target: &Target, name: &str, direct: bool) -> Client {
    let data = tempfile::tempdir().expect("client tempdir");
    let engine = Engine::start(EngineConfig {
        data_dir: data.path().to_path_buf(),
        discovery: None,
        coordinator: Some(target.clone()),
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: format!("bench-{name}"),
        peer_listen: direct.then(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
        remember_session: false,
    })
    .expect("engine starts");
    engine.send(Command::Register {
        username: name.into(),
        password: PASSWORD.into(),
    });
    wait_for(&engine, "LoggedIn", |e| {
        matches!(e, Event::LoggedIn { .. }).then_some(())
    });
    Client {
        engine,
        name: name.into(),
        _data: data,
    }
}

/// Waits for the first event `pick` accepts; panics (naming `what` and the last events
/// seen) after PATIENCE.
fn wait_for<T>(engine: &Engine, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = std::collections::VecDeque::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match engine.events().recv_timeout(left) {
            Ok(Event::Error { message, .. }) => {
                panic!("engine error while waiting for {what}: {message}")
            }
            Ok(event) => {
                if let Some(v) = pick(&event) {
                    return v;
                }
                if seen.len() == 10 {
                    seen.pop_front();
                }
                seen.push_back(event);
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no {what} within {PATIENCE:?}; last events: {seen:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("engine stopped while waiting for {what}")
            }
        }
    }
}

/// Waits for the end of transfer `key`; returns where the file went and whether it was direct.
fn transfer_done(c: &Client, key: TransferKey) -> (Option<PathBuf>, Option<bool>) {
    wait_for(
        &c.engine,
        &format!("{key} done at {}", c.name),
        |e| match e {
            Event::TransferDone {
                key: k,
                path,
                direct,
                ..
            } if *k == key => Some((path.clone(), *direct)),
            Event::TransferFailed { key: k, reason, .. } if *k == key => {
                panic!("{key} failed at {}: {reason}", c.name)
            }
            _ => None,
        },
    )
}

/// Offers `src` from `from` to `to`, which accepts into `inbox` at once; times
/// `SendFile` → the sender's `TransferDone`. The received file is checked and removed.
fn lanchat_transfer(from: &Client, to: &Client, src: &Path, inbox: &Path, direct: bool) -> Sample {
    let cpu0 = cpu_now();
    let t0 = Instant::now();
    from.engine.send(Command::SendFiles {
        to: to.name.clone(),
        paths: vec![src.to_path_buf()],
    });
    let offer = wait_for(&to.engine, "FileOffered", |e| match e {
        Event::FileOffered(o) => Some(o.clone()),
        _ => None,
    });
    to.engine.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.to_path_buf(),
    });
    let key = TransferKey::Offer(offer.id);
    let (_, sent_direct) = transfer_done(from, key);
    let sample = Sample {
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_now() - cpu0,
    };
    let (path, got_direct) = transfer_done(to, key);
    assert_eq!(sent_direct, Some(direct), "sender: direct path as intended");
    assert_eq!(
        got_direct,
        Some(direct),
        "recipient: direct path as intended"
    );
    let path = path.expect("the recipient names the received file");
    assert_eq!(tree_size(&path), tree_size(src), "received as much as sent");
    if path.is_dir() {
        std::fs::remove_dir_all(&path).expect("remove received folder");
    } else {
        std::fs::remove_file(&path).expect("remove received file");
    }
    sample
}

/// Bytes and regular files in a file or a folder's tree.
fn tree_size(path: &Path) -> (u64, usize) {
    let meta = std::fs::symlink_metadata(path).expect("received path");
    if !meta.is_dir() {
        return (meta.len(), 1);
    }
    std::fs::read_dir(path)
        .expect("read folder")
        .map(|e| tree_size(&e.expect("folder entry").path()))
        .fold((0, 0), |(b, n), (b2, n2)| (b + b2, n + n2))
}

/// A folder of `count` pseudo-random files of `len` bytes each.
fn make_folder(dir: &Path, count: usize, len: u64) -> PathBuf {
    let folder = dir.join(format!("folder-{count}x{len}"));
    std::fs::create_dir_all(&folder).expect("create folder");
    for i in 0..count {
        let file = make_file_seeded(&folder, len, i as u64 + 1);
        std::fs::rename(&file, folder.join(format!("file-{i:04}.bin"))).expect("name file");
    }
    folder
}
