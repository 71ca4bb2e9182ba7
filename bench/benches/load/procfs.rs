//! What `/proc` says about a process: CPU time, resident memory, threads, and the machine's
//! load average (other work on the machine shares its cores); and stopping a server process.

/// utime + stime from a `/proc/…/stat` file, in seconds.
pub fn cpu_of(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).expect("/proc stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // The kernel reports these in USER_HZ, which is 100 on Linux.
    ticks as f64 / 100.0
}

/// CPU seconds process `pid` has used so far (user + system, all threads).
pub fn cpu_s(pid: u32) -> f64 {
    cpu_of(&format!("/proc/{pid}/stat"))
}

/// This process's CPU seconds so far.
pub fn self_cpu_s() -> f64 {
    cpu_of("/proc/self/stat")
}

/// A `/proc/PID/status` field as a number (the `kB` unit stripped).
fn status_field(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("/proc/PID/status")
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// Resident memory of process `pid`, KiB.
pub fn rss_kb(pid: u32) -> u64 {
    status_field(&pid.to_string(), "VmRSS:")
}

/// This process's resident memory, KiB.
pub fn self_rss_kb() -> u64 {
    status_field("self", "VmRSS:")
}

/// Number of threads of process `pid`.
pub fn threads(pid: u32) -> u64 {
    status_field(&pid.to_string(), "Threads:")
}

/// The 1/5/15-minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Stops a server process gracefully (SIGTERM, so it can finish its work) and waits for it.
pub fn terminate(child: &mut std::process::Child) {
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let _ = child.wait();
}
