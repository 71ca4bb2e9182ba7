//! The desktop GUI driven with no person: a virtual X server (Xvfb), the real `lanchat`
//! window clicked and typed into with xdotool, a private D-Bus session bus with a
//! notification server of the test's own, and a `lanchat cli --json` peer on the other side.
//! The GUI's opt-in trace (`LANCHAT_UI_TRACE=1`, one stderr line per change, widget
//! positions included) is what the tests wait on; screenshots are taken with imagemagick's
//! `import`.
//!
//! Skips (with a message) where Xvfb, xdotool, import or dbus-daemon are not installed;
//! `scripts/setup.sh` installs them. With `LANCHAT_SCREENSHOTS=DIR` the screenshots are kept
//! in DIR (`scripts/screenshots.sh` uses this for the README's pictures).
//!
//! Layout: this file (the harness: Xvfb, the GUI process and its trace), `bus` (the session
//! bus and the notification server), `walkthrough` (a day at the office, end to end).
mod bus;
mod walkthrough;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;

use crate::support::*;

/// A program on PATH?
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Kills the child when the test ends, however it ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A virtual X server on a display it picked itself.
pub struct Xvfb {
    _server: Killed,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
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

    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = Process::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("run xdotool");
        assert!(out.status.success(), "xdotool {args:?} failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits for a window whose title matches `name` and returns the name: windows are
    /// looked up again at each use, since FLTK may replace a window's X window (hiding
    /// destroys it).
    pub fn window(&self, name: &str) -> String {
        self.id(name);
        name.to_string()
    }

    /// The X window now titled `name` (xdotool's --sync waits on X events; `timeout` turns a
    /// window that never appears into a failure instead of a hang).
    fn id(&self, name: &str) -> String {
        let secs = PATIENCE.as_secs().to_string();
        let out = Process::new("timeout")
            .args([
                secs.as_str(),
                "xdotool",
                "search",
                "--sync",
                "--onlyvisible",
                "--name",
                name,
            ])
            .env("DISPLAY", &self.display)
            .output()
            .expect("run xdotool search");
        assert!(out.status.success(), "no window named {name:?}: {out:?}");
        let ids = String::from_utf8_lossy(&out.stdout);
        ids.lines().last().expect("a window id").trim().to_string()
    }

    /// Clicks at a point of a window (relative to its top-left corner), moving the pointer
    /// in screen coordinates (xdotool's `--window` form trips over the windows FLTK maps
    /// and unmaps for menus and tooltips).
    pub fn click(&self, window: &str, x: i32, y: i32) {
        let (wx, wy) = self.origin(window);
        let (sx, sy) = ((wx + x).to_string(), (wy + y).to_string());
        self.xdotool(&["mousemove", "--sync", &sx, &sy]);
        self.xdotool(&["click", "1"]);
    }

    /// Where a window's top-left corner is on the screen.
    fn origin(&self, window: &str) -> (i32, i32) {
        let id = self.id(window);
        let out = self.xdotool(&["getwindowgeometry", "--shell", &id]);
        let get = |k: &str| -> i32 {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .and_then(|v| v.parse().ok())
                .expect("window geometry")
        };
        (get("X"), get("Y"))
    }

    /// Double-clicks at a point of a window.
    pub fn double_click(&self, window: &str, x: i32, y: i32) {
        let (wx, wy) = self.origin(window);
        let (sx, sy) = ((wx + x).to_string(), (wy + y).to_string());
        self.xdotool(&["mousemove", "--sync", &sx, &sy]);
        self.xdotool(&["click", "--repeat", "2", "--delay", "80", "1"]);
    }

    /// Drops a file on a point of a window as a file manager would (an XDND source:
    /// `xdnd_drop.py`, python-xlib). False when the drop could not be made.
    pub fn drop_file(&self, window: &str, at: (i32, i32), file: &Path) -> bool {
        let id = self.id(window);
        let (wx, wy) = self.origin(window);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/gui/xdnd_drop.py");
        // As file managers write them: a space is %20.
        let uri = format!("file://{}", file.display()).replace(' ', "%20");
        let status = Process::new(PYTHON_XLIB)
            .arg(script)
            .args([id, (wx + at.0).to_string(), (wy + at.1).to_string(), uri])
            .env("DISPLAY", &self.display)
            .status()
            .expect("run the drag-and-drop source");
        status.success()
    }

    /// Drags with the left button from one point of a window to another.
    pub fn drag(&self, window: &str, from: (i32, i32), to: (i32, i32)) {
        let (wx, wy) = self.origin(window);
        let at = |p: (i32, i32)| [(wx + p.0).to_string(), (wy + p.1).to_string()];
        let [fx, fy] = at(from);
        let [tx, ty] = at(to);
        self.xdotool(&["mousemove", "--sync", &fx, &fy]);
        self.xdotool(&["mousedown", "1"]);
        self.xdotool(&["mousemove", "--sync", &tx, &ty]);
        self.xdotool(&["mouseup", "1"]);
    }

    /// Types text; keyboard input goes to the widget under the pointer (no window manager).
    pub fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "15", text]);
    }

    pub fn key(&self, key: &str) {
        self.xdotool(&["key", key]);
    }

    /// Saves a picture of one window (no window manager: no frame to crop).
    pub fn screenshot(&self, window: &str, path: &Path) {
        let id = self.id(window);
        let status = Process::new("import")
            .args(["-display", &self.display, "-window", &id])
            .arg(path)
            .status()
            .expect("run import");
        assert!(status.success(), "import failed");
        let size = std::fs::metadata(path).expect("screenshot written").len();
        assert!(size > 1000, "screenshot {} is empty", path.display());
    }
}

/// The GUI process and its trace lines.
pub struct Gui {
    process: Killed,
    trace: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Gui {
    /// Starts `lanchat ARGS… --data DATA …` on the display, with the session bus given.
    pub fn start(lan: &Lan, dir: &Path, display: &str, bus: &str, args: &[&str]) -> Gui {
        let mut child = Process::new(bin())
            .args(args)
            .arg("--data")
            .arg(dir.join("gui-data"))
            .arg("--downloads")
            .arg(dir.join("gui-downloads"))
            .args(["--peer-listen", "127.0.0.1:0"])
            .args(lan.flags())
            .env("DISPLAY", display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            // Opening a file or folder runs this instead of the desktop's opener.
            .env("LANCHAT_OPENER", "true")
            // Settings such as autostart stay inside the test's directory.
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("LANCHAT_UI_TRACE", "1")
            .env("LANCHAT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lanchat");
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
            process: Killed(child),
            trace,
            seen: Vec::new(),
        }
    }

    /// Waits for a trace line starting with `prefix`; returns it.
    pub fn wait(&mut self, prefix: &str) -> String {
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

    /// The last line seen starting with `prefix`, else waits for one.
    pub fn seen_or_wait(&mut self, prefix: &str) -> String {
        match self.seen.iter().rev().find(|l| l.starts_with(prefix)) {
            Some(l) => l.clone(),
            None => self.wait(prefix),
        }
    }

    /// Has a line starting with `prefix` been seen?
    pub fn saw(&self, prefix: &str) -> bool {
        self.seen.iter().any(|l| l.starts_with(prefix))
    }

    /// Waits for the process to end by itself.
    pub fn exited(mut self) -> std::process::ExitStatus {
        // Its stderr closes when it exits, and the reader thread then hangs up.
        loop {
            match self.trace.recv_timeout(PATIENCE) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the GUI did not exit"),
            }
        }
        self.process.0.wait().expect("reap the GUI")
    }
}

/// `key=x,y` in a trace line.
pub fn point(line: &str, key: &str) -> (i32, i32) {
    let at = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"));
    let (x, y) = at.split_once(',').expect("x,y");
    (x.parse().expect("x"), y.parse().expect("y"))
}

pub fn screenshot_dir(fallback: &Path) -> PathBuf {
    match std::env::var_os("LANCHAT_SCREENSHOTS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            dir
        }
        None => fallback.to_path_buf(),
    }
}

/// Debian's Python, which has python-xlib (`python3-xlib`) for the drag-and-drop source.
pub const PYTHON_XLIB: &str = "/usr/bin/python3";

/// Can the test drop files (python-xlib installed)?
pub fn can_drop() -> bool {
    Process::new(PYTHON_XLIB)
        .args(["-c", "import Xlib"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The tools the GUI tests need, or why they are skipped.
pub fn missing_tools() -> Option<String> {
    let missing: Vec<_> = ["Xvfb", "xdotool", "import", "dbus-daemon"]
        .into_iter()
        .filter(|p| !installed(p))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "skipping the GUI test: {} not installed (scripts/setup.sh installs xvfb, xdotool, \
             imagemagick and dbus)",
            missing.join(", ")
        )
    })
}
