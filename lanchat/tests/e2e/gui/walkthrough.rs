//! A day at the office in the GUI, end to end, the way the real-user walk-through went:
//! first contact trusted by a click, registration with "keep me signed in", the message
//! input's keys (Shift+Enter, Ctrl+M, Ctrl+K), a direct message while the window is in the
//! tray becoming a desktop notification whose click opens the conversation, the tray item on
//! the bus, a file offer answered in the conversation and its transfer row opened and
//! dismissed, an edit and a reaction taken in place, search results jumping to a message, the
//! coordinator's key changing under the logged-in window, and a second start that signs in by
//! itself (in the dark theme).
//! Screenshots of each state go where `LANCHAT_SCREENSHOTS` says.
use std::process::Command as Process;

use super::bus::{Notifications, SessionBus};
use super::{can_drop, missing_tools, point, screenshot_dir, Gui, Xvfb};
use crate::cli::Bot;
use crate::support::*;

/// Ctrl+K, then `name` typed into the quick switcher and Enter.
fn go_to(x: &Xvfb, gui: &mut Gui, main: &str, input: (i32, i32), name: &str) {
    x.click(main, input.0, input.1);
    x.key("ctrl+k");
    let picker = gui.wait("picker Go to");
    let typed = point(&picker, "input");
    let go = x.window("Go to");
    x.click(&go, typed.0, typed.1);
    x.type_text(name);
    x.key("Return");
}

/// Hex digits only (fingerprints are printed in groups).
fn hex(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_lowercase()
}

fn bob(lan: &Lan, dir: &std::path::Path) -> Bot {
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
    .arg(dir.join("bob"))
    .args(lan.flags());
    Bot::spawn(cmd)
}

#[test]
fn a_day_at_the_office_in_the_gui() {
    if let Some(why) = missing_tools() {
        eprintln!("{why}");
        return;
    }
    let started = std::time::Instant::now();
    let (lan, coordinator, dir) = office();
    let shots = screenshot_dir(dir.path());
    let bus = SessionBus::start();
    let notes = Notifications::start(&bus);
    let x = Xvfb::start();
    // Plain `lanchat` with network flags (no `gui` word): defect 10.
    let mut gui = Gui::start(&lan, dir.path(), &x.display, &bus.address, &[]);

    // First contact: the coordinator is listed with its name and fingerprint and used only
    // after Trust is pressed.
    gui.wait("window login");
    let first = gui.wait("first-contact");
    assert!(first.contains("test-office"), "{first}");
    let short = first
        .split("fingerprint ")
        .nth(1)
        .and_then(|r| r.split(" trust=").next())
        .expect("a fingerprint");
    assert!(
        hex(&coordinator.fingerprint).starts_with(&hex(short)),
        "{first}"
    );
    assert!(
        !gui.saw("login-status Coordinator"),
        "not used before it is trusted"
    );
    let login = x.window("log in");
    x.screenshot(&login, &shots.join("login-trust.png"));
    let trust = point(&first, "trust");
    x.click(&login, trust.0, trust.1);
    gui.wait("trusted first-contact");
    gui.wait("login-status Coordinator 'test-office'");

    // Registration, refused first in plain words, then with "keep me signed in".
    let layout = gui.seen_or_wait("login-layout");
    let (username, password) = (point(&layout, "username"), point(&layout, "password"));
    let (keep, register) = (point(&layout, "keep"), point(&layout, "register"));
    x.click(&login, username.0, username.1);
    x.type_text("alice");
    x.click(&login, password.0, password.1);
    x.type_text("short");
    x.click(&login, register.0, register.1);
    let error = gui.wait("login-error");
    assert!(error.contains("Password too weak"), "{error}");
    x.screenshot(&login, &shots.join("login.png"));
    x.click(&login, password.0, password.1);
    x.key("ctrl+a");
    x.type_text(PASSWORD);
    x.click(&login, keep.0, keep.1);
    x.click(&login, register.0, register.1);
    gui.wait("logged-in alice");
    gui.wait("window main");
    let main = x.window("lanchat.*alice");

    // The tray item is on the bus.
    gui.seen_or_wait("tray registered");
    let names = notes.names();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("org.kde.StatusNotifierItem-")),
        "{names:?}"
    );

    let mut bob = bob(&lan, dir.path());
    bob.wait_type("ready");
    gui.wait("presence bob Online");

    // Shift+Enter makes exactly one line break; Enter sends.
    let layout = gui.seen_or_wait("main-layout");
    let input = point(&layout, "input");
    x.click(&main, input.0, input.1);
    x.type_text("line one");
    x.key("shift+Return");
    x.type_text("line two");
    x.key("Return");
    let got = bob.wait("the two lines", |v| {
        v["type"] == "message"
            && v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("line one"))
    });
    assert_eq!(got["text"], "line one\nline two");

    // Ctrl+M runs the menu's mute (twice: on, off) instead of typing a carriage return.
    x.key("ctrl+m");
    gui.wait("mute #general true");
    x.key("ctrl+m");
    gui.wait("mute #general false");
    x.type_text("after shortcuts");
    x.key("Return");
    let got = bob.wait("the text typed after the shortcuts", |v| {
        v["type"] == "message" && v["text"].as_str().is_some_and(|t| t.contains("shortcuts"))
    });
    assert_eq!(got["text"], "after shortcuts", "no control characters");

    // Messages grouped by sender, with a mention of alice.
    bob.line("hi @alice: the **release** plan is at https://example.com/plan and `cargo run`");
    bob.line("second line from bob, same group ☕ ★ ✔ 😀");
    gui.wait("shown #general bob: second line");

    // In the tray, a direct message becomes a desktop notification; clicking it opens the
    // conversation.
    x.key("ctrl+h");
    gui.wait("window hidden");
    bob.line("/msg @alice are you there?");
    gui.wait("notify @bob");
    let shown = notes.next();
    assert_eq!(shown.summary, "bob");
    assert_eq!(shown.body, "are you there?");
    assert!(shown.actions.contains(&"default".to_string()), "{shown:?}");
    notes.click(shown.id);
    gui.wait("open @bob");
    gui.wait("window main");
    gui.wait("shown @bob bob: are you there?");

    // A mention in #general while alice reads @bob: unread with a mention, then the
    // "new messages" line when she goes there with Ctrl+K.
    bob.line("@alice lunch at noon?");
    gui.wait("message #general bob: @alice lunch");
    go_to(&x, &mut gui, &main, input, "general");
    gui.wait("current #general");
    gui.wait("shown #general bob: @alice lunch");
    x.screenshot(&main, &shots.join("main.png"));

    // Issue 13: bob edits that message and reacts to it; alice's window takes both in place.
    bob.line("/edit @alice lunch at one?");
    let edited = bob.wait("the edit", |v| v["type"] == "edited");
    let seq = edited["seq"].as_u64().expect("the edited message's seq");
    gui.wait(&format!(
        "changed #general {seq} by bob: @alice lunch at one?"
    ));
    bob.line(&format!("/react {seq} 👍"));
    gui.wait(&format!("changed #general {seq} by bob"));

    // A file offered by bob: a card in the direct conversation, accepted by a click; the
    // transfer's row opens the file and is dismissed.
    let file = dir.path().join("plan.txt");
    std::fs::write(&file, "the plan\n".repeat(1000)).expect("write the file");
    go_to(&x, &mut gui, &main, input, "@bob");
    gui.wait("current @bob");
    bob.line(&format!("/send @alice {}", file.display()));
    let card = gui.wait("offer-card @bob");
    let accept = point(&card, "accept");
    x.click(&main, accept.0, accept.1);
    gui.wait("offer-answer");
    let row = gui.wait("transfer-row");
    x.screenshot(&main, &shots.join("transfers.png"));
    let (open, dismiss) = (point(&row, "open"), point(&row, "dismiss"));
    x.click(&main, open.0, open.1);
    let opened = gui.wait("open-file");
    assert!(opened.ends_with("plan.txt"), "{opened}");
    x.click(&main, dismiss.0, dismiss.1);
    gui.wait("dismissed offer");
    // Ctrl+J in the message input opens the join list (no line feed typed), and a double
    // click on a room there joins it.
    bob.line("/create #ops");
    bob.wait("#ops created", |v| v["type"] == "joined");
    x.click(&main, input.0, input.1);
    x.key("ctrl+j");
    let join = gui.wait("picker Join a room");
    let line = point(&join, "first-line");
    let picker = x.window("Join a room");
    x.double_click(&picker, line.0, line.1);
    gui.wait("joined #ops");
    go_to(&x, &mut gui, &main, input, "@bob");
    gui.wait("current @bob");

    // A file dropped on the direct conversation becomes an offer to bob; he denies it, and
    // the panel says so in words.
    let dropped = dir.path().join("dropped notes.txt");
    std::fs::write(&dropped, "dropped\n").expect("write the file");
    if can_drop() {
        let conversation = point(&layout, "conversation");
        assert!(
            x.drop_file(&main, conversation, &dropped),
            "the drop was refused"
        );
        gui.wait("dropped 1");
        gui.wait("offering");
        let offer = bob.wait("the dropped file's offer", |v| v["type"] == "file_offer");
        assert_eq!(offer["name"], "dropped notes.txt");
        bob.line(&format!("/deny {}", offer["id"]));
        gui.wait("offer-answered");
    } else {
        eprintln!("no drag and drop: python3-xlib is not installed (scripts/setup.sh installs it)");
    }

    // A direct conversation can be closed (it comes back with the next message).
    x.key("ctrl+w");
    gui.wait("closed @bob");

    // Search: Enter in the filter box; the results pane jumps to the message.
    let filter = point(&layout, "filter");
    x.click(&main, filter.0, filter.1);
    x.type_text("release");
    x.key("Return");
    let results = gui.wait("search-results 1");
    x.screenshot(&main, &shots.join("search.png"));
    let first = point(&results, "first");
    x.click(&main, first.0, first.1);
    gui.wait("jumped #general");

    // The coordinator is replaced by one with another key under the same name: a blocking
    // warning with both fingerprints in the main window, and the banner while disconnected.
    let mut coordinator = coordinator;
    coordinator.stop();
    let _impostor = CoordinatorProcess::start(&lan, &dir.path().join("impostor"), "test-office");
    let warning = gui.wait("fingerprint-warning main");
    assert!(warning.contains("Trusted before"), "{warning}");
    assert!(warning.contains("Presented now"), "{warning}");
    x.screenshot(&main, &shots.join("main-warning.png"));
    drop(_impostor);

    // The left pane's edge is dragged 80 px to the right; its width is kept.
    let left = point(&layout, "left-edge");
    x.drag(&main, left, (left.0 + 80, left.1));

    // Quit (kept signed in: no logout) and start again on the same data: straight to the
    // main window, no typing, no first-contact question (the pin is on disk), dark theme.
    x.key("ctrl+q");
    let status = gui.exited();
    assert!(status.success(), "{status}");
    let _coordinator = CoordinatorProcess::start(&lan, &coordinator.data, "test-office");
    let settings = dir.path().join("gui-data").join("gui-settings");
    let text = std::fs::read_to_string(&settings).expect("settings kept");
    assert!(text.contains("keep_signed_in = true"), "{text}");
    let kept: i32 = text
        .lines()
        .find_map(|l| l.strip_prefix("left_width = "))
        .and_then(|w| w.trim().parse().ok())
        .expect("a left width");
    assert!(
        (left.0 + 70..=left.0 + 90).contains(&kept),
        "{kept} after a drag from {left:?}"
    );
    std::fs::write(&settings, text.replace("dark = false", "dark = true")).unwrap();
    let mut gui = Gui::start(&lan, dir.path(), &x.display, &bus.address, &["gui"]);
    gui.wait("logged-in alice");
    gui.wait("window main");
    assert!(!gui.saw("first-contact"));
    let main = x.window("lanchat.*alice");
    gui.wait("shown #general bob: @alice lunch");
    x.screenshot(&main, &shots.join("main-dark.png"));

    // Started with the desktop session: hidden in the tray, signed in by itself.
    x.key("ctrl+q");
    assert!(gui.exited().success());
    let mut gui = Gui::start(
        &lan,
        dir.path(),
        &x.display,
        &bus.address,
        &["gui", "--hidden"],
    );
    gui.wait("window hidden");
    gui.wait("logged-in hidden");
    gui.seen_or_wait("tray registered");
    assert!(!gui.saw("window main"));

    let status = bob.finish();
    assert!(status.success());
    eprintln!(
        "GUI walk-through took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
