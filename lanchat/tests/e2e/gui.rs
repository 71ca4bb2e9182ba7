//! The desktop GUI driven with no person: a virtual X server (Xvfb), the real `lanchat gui`
//! window clicked and typed into with xdotool, and a `lanchat cli --json` peer on the other
//! side. The GUI's opt-in trace (`LANCHAT_UI_TRACE=1`, one stderr line per change) is what
//! the test waits on; screenshots are taken with imagemagick's `import`.
//!
//! Skips (with a message) where Xvfb, xdotool or import are not installed;
//! `scripts/setup.sh` installs them. With `LANCHAT_SCREENSHOTS=DIR` the screenshots are kept
//! in DIR (`scripts/screenshots.sh` uses this for the README's pictures).
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;

use crate::cli::Bot;
use crate::support::*;

/// A program on PATH?
fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A virtual X server on a display it picked itself.
struct Xvfb {
    _server: Killed,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        // -displayfd: Xvfb chooses a free display and writes its number once it accepts
        // connections, so there is nothing to guess and nothing to wait for by time.
        let mut child = Process::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut out = child.stdout.take().expect("stdout");
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).expect("read Xvfb display") == 1 && byte[0] != b'\n' {
            number.push(byte[0] as char);
        }
        assert!(!number.is_empty(), "Xvfb did not report a display");
        Xvfb {
            _server: Killed(child),
            display: format!(":{}", number.trim()),
        }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Process::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("run xdotool");
        assert!(out.status.success(), "xdotool {args:?} failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits for a window whose title matches `name` (xdotool's --sync waits on X events;
    /// `timeout` turns a window that never appears into a failure instead of a hang).
    fn window(&self, name: &str) -> String {
        let secs = PATIENCE.as_secs().to_string();
        let out = Process::new("timeout")
            .args([secs.as_str(), "xdotool", "search", "--sync", "--name", name])
            .env("DISPLAY", &self.display)
            .output()
            .expect("run xdotool search");
        assert!(out.status.success(), "no window named {name:?}: {out:?}");
        let ids = String::from_utf8_lossy(&out.stdout);
        ids.lines().next().expect("a window id").trim().to_string()
    }

    /// Clicks at a point of a window (relative to its top-left corner).
    fn click(&self, window: &str, x: i32, y: i32) {
        let (x, y) = (x.to_string(), y.to_string());
        self.xdotool(&["mousemove", "--window", window, &x, &y, "click", "1"]);
    }

    /// Types text; keyboard input goes to the widget under the pointer (no window manager).
    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "15", text]);
    }

    fn key(&self, key: &str) {
        self.xdotool(&["key", key]);
    }

    fn size(&self, window: &str) -> (i32, i32) {
        let out = self.xdotool(&["getwindowgeometry", "--shell", window]);
        let get = |k: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .and_then(|v| v.parse().ok())
                .expect("window geometry")
        };
        (get("WIDTH"), get("HEIGHT"))
    }

    /// Saves a picture of one window (no window manager: no frame to crop).
    fn screenshot(&self, window: &str, path: &Path) {
        let status = Process::new("import")
            .args(["-display", &self.display, "-window", window])
            .arg(path)
            .status()
            .expect("run import");
        assert!(status.success(), "import failed");
        let size = std::fs::metadata(path).expect("screenshot written").len();
        assert!(size > 1000, "screenshot {} is empty", path.display());
    }
}

/// The GUI process and its trace lines.
struct Gui {
    _process: Killed,
    trace: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Gui {
    fn start(lan: &Lan, dir: &Path, display: &str) -> Gui {
        let mut child = Process::new(bin())
            .arg("gui")
            .arg("--data")
            .arg(dir.join("gui-data"))
            .arg("--downloads")
            .arg(dir.join("gui-downloads"))
            .args(["--peer-listen", "127.0.0.1:0"])
            .args(lan.flags())
            .env("DISPLAY", display)
            .env("LANCHAT_UI_TRACE", "1")
            .env("LANCHAT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lanchat gui");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, trace) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                match line.strip_prefix("trace: ") {
                    Some(t) => {
                        if tx.send(t.to_string()).is_err() {
                            return;
                        }
                    }
                    None => eprintln!("gui: {line}"),
                }
            }
        });
        Gui {
            _process: Killed(child),
            trace,
            seen: Vec::new(),
        }
    }

    /// Waits for a trace line starting with `prefix`; returns it.
    fn wait(&mut self, prefix: &str) -> String {
        loop {
            match self.trace.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no GUI trace line starting with {prefix:?}; saw: {:#?}",
                    self.seen
                ),
            }
        }
    }
}

fn screenshot_dir(fallback: &Path) -> PathBuf {
    match std::env::var_os("LANCHAT_SCREENSHOTS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            dir
        }
        None => fallback.to_path_buf(),
    }
}

#[test]
fn register_send_and_see_a_reply_in_the_window() {
    let missing: Vec<_> = ["Xvfb", "xdotool", "import"]
        .into_iter()
        .filter(|p| !installed(p))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "skipping the GUI test: {} not installed (scripts/setup.sh installs xvfb, xdotool \
             and imagemagick)",
            missing.join(", ")
        );
        return;
    }
    let (lan, _coordinator, dir) = office();
    let shots = screenshot_dir(dir.path());
    let x = Xvfb::start();
    let mut gui = Gui::start(&lan, dir.path(), &x.display);

    // The login window finds the coordinator by multicast on loopback and says so.
    gui.wait("window login");
    gui.wait("login-status Coordinator 'test-office'");
    let login = x.window("log in");

    // Titles are matched in ASCII (the em dash in them is not reliably encoded in WM_NAME).
    // Positions inside the login window (see ui/src/login.rs: 20 px margin, fixed rows).
    let (username, password, register) = ((220, 110), (220, 172), (330, 210));
    x.click(&login, username.0, username.1);
    x.type_text("alice");
    x.click(&login, password.0, password.1);
    x.type_text("short");
    x.click(&login, register.0, register.1);
    // A refused registration is explained in the window, in plain words.
    let error = gui.wait("login-error");
    assert!(error.contains("Password too weak"), "{error}");
    x.screenshot(&login, &shots.join("login.png"));

    x.click(&login, password.0, password.1);
    x.key("ctrl+a");
    x.type_text(PASSWORD);
    x.click(&login, register.0, register.1);
    gui.wait("logged-in alice");
    gui.wait("window main");
    let main = x.window("lanchat.*alice");

    // A peer on the terminal client.
    let mut cmd = Process::new(bin());
    cmd.args([
        "cli",
        "--json",
        "--trust-first-contact",
        "--register",
        "--user",
        "bob",
        "--data",
    ])
    .arg(dir.path().join("bob"))
    .args(lan.flags());
    let mut bob = Bot::spawn(cmd);
    bob.wait_type("ready");
    gui.wait("presence bob Online");

    // Type into the message input (bottom of the centre column) and press Enter.
    let (_, height) = x.size(&main);
    x.click(&main, 420, height - 70);
    x.type_text("hello from the *GUI*");
    x.key("Return");
    gui.wait("sending #general hello from the *GUI*");
    let got = bob.wait("alice's message", |v| {
        v["type"] == "message" && v["text"] == "hello from the *GUI*"
    });
    assert_eq!(got["sender"], "alice");

    bob.line("hi alice: **welcome**, docs at https://example.com/start and `cargo run`");
    let shown = gui.wait("shown #general bob:");
    assert!(shown.contains("**welcome**"), "{shown}");
    x.screenshot(&main, &shots.join("main.png"));

    let status = bob.finish();
    assert!(status.success());
}
