//! The scp reference: OpenSSH copying the same file file-to-file (aes128-gcm), then `sync`,
//! against an sshd this bench starts in a network namespace of its own (loopback only inside
//! it), so nothing listens on the machine's own interfaces. Skipped, with a line saying why,
//! when sshd, scp, ssh-keygen or namespaces are missing.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::{cpu_children_now, cpu_now, Sample};

const SSHD: &str = "/usr/sbin/sshd";
const PORT: &str = "2222";

/// A running sshd in a namespace of its own; both are removed when this drops.
pub struct Scp {
    netns: String,
    sshd: Child,
    dir: tempfile::TempDir,
}

impl Scp {
    /// Starts sshd, or says why it cannot.
    pub fn start() -> Result<Scp, String> {
        if !Path::new(SSHD).exists() {
            return Err(format!("{SSHD} is not installed (Debian: openssh-server)"));
        }
        for tool in ["scp", "ssh-keygen", "ip"] {
            if which(tool).is_none() {
                return Err(format!("{tool} is not installed"));
            }
        }
        let netns = format!("lcbench-scp-{}", std::process::id());
        run("ip", &["netns", "add", &netns])
            .map_err(|e| format!("cannot create a network namespace: {e}"))?;
        // From here on, dropping `guard` removes the namespace.
        let guard = NsGuard(netns.clone());
        run("ip", &["-n", &netns, "link", "set", "lo", "up"])?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = dir.path();
        for key in ["host", "user"] {
            run(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-f", &path(&d.join(key))],
            )?;
        }
        std::fs::copy(d.join("user.pub"), d.join("authorized_keys")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all("/run/sshd").map_err(|e| e.to_string())?;
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {PORT}\nHostKey {host}\nAuthorizedKeysFile {keys}\n\
             PermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPidFile {pid}\nCiphers aes128-gcm@openssh.com\n\
             Subsystem sftp internal-sftp\n",
            host = path(&d.join("host")),
            keys = path(&d.join("authorized_keys")),
            pid = path(&d.join("sshd.pid")),
        );
        std::fs::write(d.join("sshd_config"), config).map_err(|e| e.to_string())?;
        let mut sshd = Command::new("ip")
            .args(["netns", "exec", &netns, SSHD, "-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start sshd: {e}"))?;
        // Ready once it says it listens (an event, not a guess at how long it takes).
        let stderr = sshd.stderr.take().ok_or("sshd has no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let listening = loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("Server listening") => break true,
                Some(Ok(line)) => eprintln!("  sshd: {line}"),
                _ => break false,
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        std::mem::forget(guard);
        let scp = Scp { netns, sshd, dir };
        if !listening {
            return Err("sshd exited before listening".into());
        }
        Ok(scp)
    }

    /// Copies `src` into `dir` with scp, then syncs the copy to disk; times both. The copy is
    /// removed afterwards. CPU: scp/ssh (the client end) only; sshd's share is not counted.
    pub fn copy(&self, src: &Path, dir: &Path) -> Sample {
        std::fs::create_dir_all(dir).expect("scp target folder");
        let out = dir.join("scp-copy.bin");
        let cpu0 = cpu_now() + cpu_children_now();
        let t0 = Instant::now();
        let status = Command::new("ip")
            .args(["netns", "exec", &self.netns, "scp", "-q", "-P", PORT])
            .args(["-c", "aes128-gcm@openssh.com", "-i"])
            .arg(self.dir.path().join("user"))
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
            .arg(src)
            .arg(format!("root@127.0.0.1:{}", out.display()))
            .status()
            .expect("run scp");
        assert!(status.success(), "scp failed: {status}");
        let synced = Command::new("sync").arg(&out).status().expect("run sync");
        assert!(synced.success(), "sync failed");
        let sample = Sample {
            secs: t0.elapsed().as_secs_f64(),
            cpu: cpu_now() + cpu_children_now() - cpu0,
        };
        std::fs::remove_file(&out).expect("remove scp copy");
        sample
    }
}

impl Drop for Scp {
    fn drop(&mut self) {
        // `ip netns exec` hands over to sshd (exec), so this is sshd's pid.
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
    }
}

/// Removes a namespace if start-up fails half-way.
struct NsGuard(String);

impl Drop for NsGuard {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.exists())
    })
}

fn path(p: &Path) -> String {
    p.display().to_string()
}
