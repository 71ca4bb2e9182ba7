//! What the files bench prints: the table of every row, then the goals as same-run
//! ratios.
use super::{Measured, Row, Size, ETHERNET_PAYLOAD, GIB, MAX_UDP_PAYLOAD_ENV, MIB, QUICK_ENV};

/// The table: every row at every size, with ratios to TCP and bare quinn.
pub fn print_table(sizes: &[Size], results: &[Measured]) {
    let find = |row: Row, size: &Size| {
        results
            .iter()
            .find(|m| m.row == row && m.size.bytes == size.bytes)
    };
    println!();
    println!(
        "{:<40} {:>7} {:>3} {:>9} {:>13} {:>10} {:>7} {:>7}",
        "row", "size", "n", "MB/s", "slowest-best", "CPU-s/GiB", "/TCP", "/quinn"
    );
    println!("{}", "-".repeat(103));
    for size in sizes {
        let tcp = find(Row::Tcp, size).map(Measured::mbps);
        let quinn = find(Row::Quinn, size).map(Measured::mbps);
        for row in Row::ALL {
            let Some(m) = find(row, size) else { continue };
            let (lo, hi) = m.range();
            let ratio = |reference: Option<f64>| match reference {
                Some(r) if row.is_lanchat() => format!("{:.2}", m.mbps() / r),
                _ => String::new(),
            };
            println!(
                "{:<40} {:>7} {:>3} {:>9.0} {:>13} {:>10.2} {:>7} {:>7}",
                row.label(),
                size.label,
                m.samples.len(),
                m.mbps(),
                format!("{lo:.0}-{hi:.0}"),
                m.cpu_per_gib(),
                ratio(tcp),
                ratio(quinn),
            );
        }
        println!("{}", "-".repeat(103));
    }
    if !sizes.iter().any(|s| s.bytes == GIB) {
        println!("1 GiB skipped ({QUICK_ENV} is set).");
    }
    println!("MB/s = 10^6 bytes/s at the median time; /TCP and /quinn: lanchat's median MB/s over");
    println!("the reference's at the same size.");
    println!();
    println!("notes:");
    println!("- all on 127.0.0.1, in one process; every end has its own thread (each engine and");
    println!("  each reference end: a single-threaded tokio runtime; the coordinator: 2 workers).");
    println!("- lanchat rows: SendFiles -> sender's TransferDone: offer, accept, connect (direct:");
    println!("  the first offer to a peer connects, later ones reuse that connection), read and");
    println!("  hash, send, receive, write and hash, fsync, verify (BLAKE3), rename.");
    println!("  The many-small row: one offer of a folder of 1,000 files; the 100 MiB rows are");
    println!("  measured right after each other on the same engines.");
    println!("  Sources are in the page cache, received files go to disk.");
    println!("- references: the same number of bytes memory to memory, 64 KiB writes, on a fresh");
    println!(
        "  connection each run (handshake included), until the receiver acknowledges the end."
    );
    println!("- 1500 MTU rows: {MAX_UDP_PAYLOAD_ENV}={ETHERNET_PAYLOAD} on every endpoint (QUIC");
    println!(
        "  datagrams of at most 1472 bytes); bare quinn's defaults stop MTU discovery at 1452."
    );
    println!("- CPU-s/GiB: utime+stime of the whole process over the row's runs per GiB moved:");
    println!("  both ends, plus the coordinator on relayed rows; 10 ms resolution.");
}

/// The largest size measured (1 GiB unless the quick mode skipped it).
fn largest<'a>(sizes: impl Iterator<Item = &'a Size>) -> Option<Size> {
    sizes.copied().max_by_key(|s| s.bytes)
}

/// The goals of the file-speed issue, each as a same-run figure against its target.
pub fn print_goals(sizes: &[Size], results: &[Measured], scp_skipped: Option<&str>) {
    let find = |row: Row, size: Size| {
        results
            .iter()
            .find(|m| m.row == row && m.size.bytes == size.bytes)
    };
    let Some(big) = largest(sizes.iter().filter(|s| s.bytes != 100 * MIB)) else {
        return;
    };
    println!();
    println!("goals ({}):", big.label);
    let line = |what: &str, value: Option<f64>, target: &str, met: Option<bool>| {
        let value = value.map_or("n/a".to_string(), |v| format!("{v:.2}"));
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        };
        println!("  {what:<48} {value:>8}   target {target:<8} {verdict}");
    };
    let mbps = |row: Row| find(row, big).map(Measured::mbps);
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
    let direct_vs_disk = ratio(mbps(Row::Direct), mbps(Row::Disk));
    line(
        "direct file->file / dd write limit",
        direct_vs_disk,
        ">= 0.8",
        direct_vs_disk.map(|r| r >= 0.8),
    );
    let direct_vs_scp = ratio(mbps(Row::Direct), mbps(Row::Scp));
    line(
        "direct file->file / scp file->file",
        direct_vs_scp,
        ">= 2.0",
        direct_vs_scp.map(|r| r >= 2.0),
    );
    if let Some(why) = scp_skipped {
        println!("    (scp skipped: {why})");
    }
    for (row, limit) in [
        (Row::Direct, 2.0),
        (Row::Relayed, 3.0),
        (Row::Direct1500, 3.0),
    ] {
        let cpu = find(row, big).map(Measured::cpu_per_gib);
        line(
            &format!("CPU-s/GiB, {}", row.label()),
            cpu,
            &format!("<= {limit:.1}"),
            cpu.map(|c| c <= limit),
        );
    }
    let relayed = ratio(mbps(Row::Relayed), mbps(Row::Direct));
    line(
        "relayed / direct",
        relayed,
        ">= 0.8",
        relayed.map(|r| r >= 0.8),
    );
    let hundred = sizes.iter().copied().find(|s| s.bytes == 100 * MIB);
    if let Some(h) = hundred {
        let many = ratio(
            find(Row::ManySmall, h).map(Measured::mbps),
            find(Row::Direct, h).map(Measured::mbps),
        );
        line(
            "1,000 x 100 KiB in one offer / one 100 MiB file",
            many,
            ">= 0.5",
            many.map(|r| r >= 0.5),
        );
    }
    let small = sizes.iter().copied().find(|s| s.bytes == MIB);
    if let Some(one) = small.and_then(|s| find(Row::Direct, s)) {
        let ms = one.median_secs() * 1000.0;
        line(
            "1 MiB direct, ms per transfer (kept connection)",
            Some(ms),
            "<= 2.0",
            Some(ms <= 2.0),
        );
    }
    if big.bytes < GIB {
        println!(
            "  (the goals are for 1 GiB; {QUICK_ENV} measured {} instead)",
            big.label
        );
    }
}
