//! The disk's write limit, measured the way the issue states it: `dd` copying the (cached)
//! source file into the download folder's disk with an fsync at the end. A file transfer
//! cannot finish faster than this, so lanchat's file-to-file rows are compared with it.
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::{cpu_children_now, cpu_now, Sample};

/// Copies `src` to `dir` with `dd bs=1M conv=fsync`; times the whole command. `None` when
/// `dd` is missing. The copy is removed afterwards.
pub fn dd_copy(src: &Path, dir: &Path) -> Option<Sample> {
    std::fs::create_dir_all(dir).expect("dd target folder");
    let out = dir.join("dd-copy.bin");
    let cpu0 = cpu_now() + cpu_children_now();
    let t0 = Instant::now();
    let status = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", out.display()))
        .args(["bs=1M", "conv=fsync", "status=none"])
        .status()
        .ok()?;
    let sample = Sample {
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_now() + cpu_children_now() - cpu0,
    };
    assert!(status.success(), "dd failed: {status}");
    std::fs::remove_file(&out).expect("remove dd copy");
    Some(sample)
}

/// Whether quinn sends with UDP segmentation offload (GSO) and receives with GRO on this
/// kernel, as its socket layer reports for a loopback socket: one line for the report.
pub fn offload_report() -> String {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    match quinn::udp::UdpSocketState::new((&sock).into()) {
        Ok(state) => {
            let gso = state.max_gso_segments();
            let gro = state.gro_segments();
            format!(
                "UDP offload: GSO {} (up to {gso} datagrams per send), GRO {} (up to {gro} per receive)",
                if gso > 1 { "in use" } else { "NOT available" },
                if gro > 1 { "in use" } else { "NOT available" },
            )
        }
        Err(e) => format!("UDP offload: unknown ({e})"),
    }
}
