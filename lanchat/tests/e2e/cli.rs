//! `lanchat cli --json` as a bot would drive it: lines in, JSON lines out.
use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use lanchat_client::{Command, Event};
use serde_json::Value;

use crate::support::*;

pub struct Bot {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    /// Each line with the moment it was read from the process.
    lines: mpsc::Receiver<(Instant, Value)>,
    log: Vec<Value>,
    /// When the process was started.
    started: Instant,
    /// When the line `wait` returned last was read.
    last_at: Instant,
}

impl Bot {
    fn start(lan: &Lan, data: &std::path::Path, user: &str, register: bool) -> Bot {
        let mut cmd = Process::new(bin());
        cmd.args([
            "cli",
            "--json",
            "--trust-first-contact",
            "--user",
            user,
            "--data",
        ])
        .arg(data)
        .args(lan.flags());
        if register {
            cmd.arg("--register");
        }
        Bot::spawn(cmd)
    }

    /// Runs a prepared `lanchat cli --json …` command.
    pub fn spawn(cmd: Process) -> Bot {
        Bot::spawn_with(cmd, PASSWORD)
    }

    /// Runs a prepared `lanchat cli --json …` command that logs in with `password`.
    pub fn spawn_with(mut cmd: Process, password: &str) -> Bot {
        cmd.env("LANCHAT_PASSWORD", password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("start lanchat cli");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.expect("read");
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not one JSON object per line: {line:?}: {e}"));
                if tx.send((Instant::now(), value)).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Bot {
            child,
            stdin,
            lines,
            log: Vec::new(),
            started,
            last_at: started,
        }
    }

    pub fn line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn wait(&mut self, what: &str, mut pick: impl FnMut(&Value) -> bool) -> Value {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok((at, v)) => {
                    self.log.push(v.clone());
                    if pick(&v) {
                        self.last_at = at;
                        return v;
                    }
                }
                Err(_) => panic!("no {what}; saw {:#?}", self.log),
            }
        }
    }

    /// How long after the process started the line the last `wait` returned was printed.
    pub fn since_start(&self) -> std::time::Duration {
        self.last_at.duration_since(self.started)
    }

    pub fn wait_type(&mut self, ty: &str) -> Value {
        self.wait(ty, |v| v["type"] == ty)
    }

    /// Waits until every text in `texts` has arrived as a message in `conv` (counting those
    /// already read); returns every such message read so far, in arrival order.
    pub fn wait_texts(&mut self, conv: &str, texts: &[String]) -> Vec<Value> {
        let is_one = |v: &Value| {
            v["type"] == "message"
                && v["conv"] == conv
                && texts.iter().any(|t| v["text"] == t.as_str())
        };
        let mut missing: std::collections::HashSet<&str> =
            texts.iter().map(String::as_str).collect();
        for v in self.log.iter().filter(|v| is_one(v)) {
            missing.remove(v["text"].as_str().unwrap_or_default());
        }
        if !missing.is_empty() {
            self.wait(&format!("{} messages in {conv}", missing.len()), |v| {
                if is_one(v) {
                    missing.remove(v["text"].as_str().unwrap_or_default());
                }
                missing.is_empty()
            });
        }
        self.log.iter().filter(|v| is_one(v)).cloned().collect()
    }

    /// Waits until `n` events of type `ty` have been read in all (counting those already read).
    pub fn wait_count(&mut self, ty: &str, n: usize) {
        let mut seen = self.log.iter().filter(|v| v["type"] == ty).count();
        if seen < n {
            self.wait(&format!("{n} '{ty}' events"), |v| {
                seen += usize::from(v["type"] == ty);
                seen >= n
            });
        }
    }

    /// Closes stdin and waits for a clean exit.
    pub fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        self.wait_type("logged_out");
        // Its stdout closes when the process exits, and the reader thread then hangs up.
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok((_, v)) => self.log.push(v),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("cli did not exit: {:#?}", self.log),
            }
        }
        self.child.wait().expect("reap cli")
    }
}

impl Drop for Bot {
    /// A test that fails half-way must not leave its clients running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn json_bot_registers_talks_and_exits_cleanly() {
    let (lan, _coord, dir) = office();
    let mut alice = Bot::start(&lan, &dir.path().join("alice"), "alice", true);
    let ready = alice.wait_type("ready");
    assert_eq!(ready["user"], "alice");
    assert_eq!(ready["conversations"][0]["conv"], "#general");
    let mut bob = Client::register(&lan, "bob");

    alice.line("hello from the bot");
    let sending = alice.wait_type("sending");
    let ack = alice.wait_type("ack");
    assert_eq!(ack["id"], sending["id"]);
    assert_eq!(ack["conv"], "#general");
    let m = bob.wait_message("hello from the bot");
    assert_eq!(ack["seq"], m.seq);

    bob.say(&dm("alice"), "ping");
    let dm = alice.wait("dm", |v| {
        v["type"] == "message" && v["conv"] == "@bob" && v["text"] == "ping"
    });
    assert_eq!(dm["sender"], "bob");

    alice.line("/create #bots");
    let joined = alice.wait_type("joined");
    assert_eq!(joined["conv"], "#bots");
    assert_eq!(joined["role"], "owner");
    alice.wait("switched", |v| {
        v["type"] == "switched" && v["conv"] == "#bots"
    });
    alice.line("/frobnicate");
    let err = alice.wait_type("error");
    assert!(
        err["message"].as_str().unwrap().contains("unknown command"),
        "{err}"
    );
    alice.line("/join #nosuch");
    let err = alice.wait_type("error");
    assert_eq!(err["code"], "NoSuchRoom");
    alice.line("/unread");
    let unread = alice.wait_type("unread");
    assert!(unread["conversations"].as_array().unwrap().len() >= 3);

    let status = alice.finish();
    assert!(status.success(), "{status}");
}

#[test]
fn wrong_password_exits_non_zero() {
    let (lan, _coord, dir) = office();
    let _alice = Client::register(&lan, "alice");
    let out = Process::new(bin())
        .args([
            "cli",
            "--json",
            "--trust-first-contact",
            "--user",
            "alice",
            "--data",
        ])
        .arg(dir.path().join("x"))
        .args(lan.flags())
        .env("LANCHAT_PASSWORD", "wrong password here")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"AuthFailed\""), "{text}");
}

/// `lanchat cli` without `--json`, as a person reads it: stdout's raw lines.
struct Plain {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<Vec<u8>>,
    log: Vec<String>,
}

impl Plain {
    fn register(lan: &Lan, data: &std::path::Path, user: &str) -> Plain {
        let mut child = Process::new(bin())
            .args(["cli", "--trust-first-contact", "--register", "--user", user])
            .arg("--data")
            .arg(data)
            .args(lan.flags())
            .env("LANCHAT_PASSWORD", PASSWORD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start lanchat cli");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut line = Vec::new();
            match stdout.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        });
        let stdin = child.stdin.take();
        Plain {
            child,
            stdin,
            lines,
            log: Vec::new(),
        }
    }

    /// Waits for a line containing `text`; every line read must be one line of inert text.
    fn wait(&mut self, text: &str) -> String {
        loop {
            let raw = match self.lines.recv_timeout(PATIENCE) {
                Ok(raw) => raw,
                Err(_) => panic!("no line with {text:?}; saw {:#?}", self.log),
            };
            let line = String::from_utf8(raw).expect("UTF-8 output");
            let body = line.strip_suffix('\n').expect("whole lines");
            assert!(
                !body
                    .chars()
                    .any(|c| c.is_control() || lanchat_net::text::is_bidi_control(c)),
                "a raw control character reached the terminal: {line:?}"
            );
            self.log.push(body.to_string());
            if body.contains(text) {
                return body.to_string();
            }
        }
    }
}

impl Drop for Plain {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Issue 12, finding 9: "The plain terminal client prints message text, names and file names
/// raw: CR, CSI and OSC sequences (OSC 52 writes the clipboard) can erase and fake lines."
/// alice sends exactly that; bob's terminal shows it as visible escapes on one line.
#[test]
fn the_terminal_shows_escape_sequences_instead_of_obeying_them() {
    let (lan, _coord, dir) = office();
    let mut bob = Plain::register(&lan, &dir.path().join("bob"), "bob");
    bob.wait("* logged in as bob");
    let mut alice = Client::register(&lan, "alice");
    let evil = "hi\r\x1b[2K[12:00] #general <ceo> wire the money\x1b]52;c;ZXZpbA==\x07\u{9b}31m \
                \u{202E}gpj.exe\nsecond line";
    alice.say_acked(&general(), evil);
    let line = bob.wait("wire the money");
    assert!(
        line.ends_with(
            "#general <alice> hi\\r\\u{1b}[2K[12:00] #general <ceo> wire the money\
             \\u{1b}]52;c;ZXZpbA==\\u{7}\\u{9b}31m \\u{202e}gpj.exe\\nsecond line"
        ),
        "{line}"
    );
    // History prints the same way.
    let mut input = bob.stdin.take().unwrap();
    writeln!(input, "/history 5").unwrap();
    input.flush().unwrap();
    bob.wait("* history of #general");
    let again = bob.wait("wire the money");
    assert_eq!(again, line);
    drop(input);
    let status = bob.child.wait().expect("cli exits at end of input");
    assert!(status.success(), "{status}");
}

/// The test: "200 lines pasted at once all arrive in order, exactly once". Before,
/// 60 went through and 140 were refused by the rate limit; now the client queues them (the
/// `sending` events count them) and the coordinator takes them at its pace.
#[test]
fn two_hundred_pasted_lines_all_arrive_in_order_exactly_once() {
    const LINES: usize = 200;
    let (lan, _coord, dir) = office();
    let mut alice = Bot::start(&lan, &dir.path().join("alice"), "alice", true);
    alice.wait_type("ready");
    let mut bob = Client::register(&lan, "bob");
    let paste: String = (0..LINES)
        .map(|n| format!("pasted line {n:03}\n"))
        .collect();
    let stdin = alice.stdin.as_mut().expect("stdin open");
    let pasted = Instant::now();
    stdin.write_all(paste.as_bytes()).unwrap();
    stdin.flush().unwrap();
    alice.wait_count("ack", LINES);
    let all_acked = pasted.elapsed();
    let queued = alice
        .log
        .iter()
        .filter(|v| v["type"] == "sending")
        .map(|v| v["queued"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(
        !alice.log.iter().any(|v| v["type"] == "error"),
        "nothing refused: {:#?}",
        alice
            .log
            .iter()
            .filter(|v| v["type"] == "error")
            .collect::<Vec<_>>()
    );
    let texts: Vec<String> = (0..LINES).map(|n| format!("pasted line {n:03}")).collect();
    for text in &texts {
        bob.wait_message(text);
    }
    let got: Vec<String> = bob
        .messages()
        .into_iter()
        .filter(|m| m.text.starts_with("pasted line"))
        .map(|m| m.text)
        .collect();
    assert_eq!(got, texts, "in order, exactly once");
    eprintln!(
        "{LINES} pasted lines: all acknowledged {:.2} s after the paste (at most {queued} \
         queued at once; the coordinator paces 20 a second after a burst of 60)",
        all_acked.as_secs_f64()
    );
    let status = alice.finish();
    assert!(status.success(), "{status}");
}

/// "Text typed right after /join #room lands in the previous conversation": lines typed after
/// a command that switches conversation now wait for the switch and go to the new one; and if
/// the switch fails, they are not sent anywhere else.
#[test]
fn lines_typed_right_after_join_go_to_the_new_conversation() {
    let (lan, _coord, dir) = office();
    let mut bob = Client::register(&lan, "bob");
    bob.send(Command::CreateRoom("ops".into()));
    bob.wait("joined", |e| matches!(e, Event::Joined(_)).then_some(()));
    let mut alice = Bot::start(&lan, &dir.path().join("alice"), "alice", true);
    alice.wait_type("ready");
    // All at once, as a fast typist or a script would.
    let stdin = alice.stdin.as_mut().expect("stdin open");
    stdin
        .write_all(b"/join #ops\nfirst line for ops\n/history 5\nsecond line for ops\n")
        .unwrap();
    stdin.flush().unwrap();
    let first = bob.wait_message("first line for ops");
    let second = bob.wait_message("second line for ops");
    assert_eq!((first.conv, second.conv), (room("ops"), room("ops")));
    assert!(
        !bob.messages()
            .iter()
            .any(|m| m.conv == general() && m.text.contains("for ops")),
        "nothing landed in #general"
    );
    let history = alice.wait_type("history");
    assert_eq!(history["conv"], "#ops", "commands wait for the switch too");
    alice.line("/join #nosuch");
    alice.line("meant for nosuch");
    let unsent = alice.wait_type("unsent");
    assert_eq!(unsent["text"], "meant for nosuch");
    alice.line("back in ops");
    let back = bob.wait_message("back in ops");
    assert_eq!(back.conv, room("ops"));
    let status = alice.finish();
    assert!(status.success(), "{status}");
}

/// "/passwd cannot handle passphrases with spaces": it now reads both passwords whole (on a
/// terminal without echo; from a script, the next two lines), never as words of a command.
#[test]
fn passwd_takes_passphrases_with_spaces() {
    let (lan, _coord, dir) = office();
    let data = dir.path().join("alice");
    let mut alice = Bot::start(&lan, &data, "alice", true);
    alice.wait_type("ready");
    let new = "a new passphrase with several spaces";
    alice.line("/passwd");
    alice.line(PASSWORD);
    alice.line(new);
    alice.wait("passwd done", |v| {
        v["type"] == "done" && v["command"] == "passwd"
    });
    assert!(
        !alice.log.iter().any(|v| v.to_string().contains("several")),
        "the passphrase is never echoed"
    );
    alice.line("/passwd too many words");
    let refused = alice.wait_type("error");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("asked for without echo"),
        "{refused}"
    );
    let status = alice.finish();
    assert!(status.success(), "{status}");
    let mut cmd = Process::new(bin());
    cmd.args([
        "cli",
        "--json",
        "--trust-first-contact",
        "--user",
        "alice",
        "--data",
    ])
    .arg(&data)
    .args(lan.flags());
    let mut again = Bot::spawn_with(cmd, new);
    again.wait_type("ready");
    let status = again.finish();
    assert!(status.success(), "{status}");
}

/// Replies, edits, deletions, reactions and the new room commands, as a bot drives them,
/// with the JSON events the README documents.
#[test]
fn a_bot_replies_edits_reacts_deletes_and_manages_a_private_room() {
    let (lan, _coord, dir) = office();
    let mut alice = Bot::start(&lan, &dir.path().join("alice"), "alice", true);
    alice.wait_type("ready");
    let mut bob = Client::register(&lan, "bob");
    let asked = bob.say_acked(&general(), "who has the projector?");
    alice.wait("bob's question", |v| {
        v["type"] == "message" && v["text"] == "who has the projector?"
    });
    alice.line(&format!("/reply {asked} I do, @bob"));
    let answer = bob.wait_message("I do, @bob");
    assert_eq!(answer.reply_to.as_ref().unwrap().seq, asked);
    assert_eq!(answer.mentions, ["bob"]);
    alice.line("/edit I do, @bob, until noon");
    let edit = bob.wait("edit", |e| match e {
        Event::Changed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(edit.text, "I do, @bob, until noon");
    alice.line(&format!("/react {asked} 👍"));
    let reaction = alice.wait_type("reaction");
    assert_eq!(reaction["seq"], asked);
    assert_eq!(reaction["reactions"][0]["count"], 1);
    alice.line(&format!("/delete {asked}"));
    let refused = alice.wait("delete refused", |v| {
        v["type"] == "error" && v["command"] == "delete"
    });
    assert_eq!(refused["code"], "PermissionDenied");
    alice.line("/create #board --private");
    alice.wait("switched", |v| {
        v["type"] == "switched" && v["conv"] == "#board"
    });
    alice.line("/invite @bob");
    bob.wait("invited", |e| {
        matches!(e, Event::Invited { room, .. } if room == "board").then_some(())
    });
    alice.line("/deleteroom");
    let confirm = alice.wait_type("confirm");
    assert!(
        confirm["message"]
            .as_str()
            .unwrap()
            .contains("for everyone"),
        "{confirm}"
    );
    alice.line("/deleteroom #board --confirm");
    alice.wait("deleted", |v| {
        v["type"] == "room_deleted" && v["room"] == "#board"
    });
    let status = alice.finish();
    assert!(status.success(), "{status}");
}

/// `/send @user PATH...` offers files and folders as one offer; the JSON `file_offer` lists
/// the files; the recipient's `/accept` saves them under its folder.
#[test]
fn send_offers_several_paths_in_one_offer_with_its_file_list_in_json() {
    let (lan, _coord, dir) = office();
    let mut alice = Bot::start(&lan, &dir.path().join("alice"), "alice", true);
    alice.wait_type("ready");
    let mut bob = Bot::start(&lan, &dir.path().join("bob"), "bob", true);
    bob.wait_type("ready");
    let docs = dir.path().join("my docs");
    std::fs::create_dir_all(docs.join("sub")).unwrap();
    std::fs::write(docs.join("a.txt"), b"aaa").unwrap();
    std::fs::write(docs.join("sub/b.txt"), b"bb").unwrap();
    let loose = make_file(dir.path(), "c.bin", 10, 3);
    alice.line(&format!(
        "/send @bob \"{}\" {}",
        docs.display(),
        loose.display()
    ));
    let offer = bob.wait_type("file_offer");
    assert_eq!(offer["from"], "alice");
    assert_eq!(offer["size"], 15);
    assert_eq!(offer["name"], "my docs, c.bin (3 files)");
    let files: Vec<(String, u64)> = offer["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("my docs/a.txt".to_string(), 3),
            ("my docs/sub/b.txt".to_string(), 2),
            ("c.bin".to_string(), 10),
        ]
    );
    let inbox = dir.path().join("inbox");
    bob.line(&format!("/accept {} {}", offer["id"], inbox.display()));
    let done = bob.wait_type("transfer_done");
    assert_eq!(done["size"], 15);
    assert_eq!(
        std::fs::read(inbox.join("my docs/sub/b.txt")).unwrap(),
        b"bb"
    );
    assert_eq!(
        std::fs::read(inbox.join("c.bin")).unwrap(),
        std::fs::read(&loose).unwrap()
    );
}
