//! Finding 12 of issue 12: "The data directory is 0755 and the database 0644: another local
//! user read every password hash and every DM." A real coordinator and client keep their data
//! for their own account only, data left loose by an older version included, and another
//! account (`nobody`, when the test runs as root) cannot read it.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;

use lanchat_client::{Command, EngineConfig, Event};
use lanchat_net::protocol::MessageKind;

use crate::support::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every folder under `dir` is 0700 and every file 0600.
fn assert_private(dir: &Path) {
    for p in std::iter::once(dir.to_path_buf()).chain(walk(dir)) {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{} is {:o}", p.display(), mode(&p));
    }
}

/// What an older version left: folders 0755, files 0644.
fn loosen(dir: &Path) {
    for p in std::iter::once(dir.to_path_buf()).chain(walk(dir)) {
        set_mode(&p, if p.is_dir() { 0o755 } else { 0o644 });
    }
}

/// Another local account tries to read `path`; `None` when this test cannot switch accounts
/// (not root, or no `setpriv`).
fn read_as_nobody(path: &Path) -> Option<Result<(), String>> {
    let root = Process::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return None;
    }
    let out = Process::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "cat",
        ])
        .arg(path)
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

fn attack(db: &Path) {
    match read_as_nobody(db) {
        Some(Ok(())) => panic!("another account read {}", db.display()),
        Some(Err(why)) => {
            assert!(why.contains("Permission denied"), "{why}");
            eprintln!("nobody reading the database: {}", why.trim());
        }
        None => eprintln!("skipped reading as another account: needs root and setpriv"),
    }
}

#[test]
fn data_is_readable_by_its_owner_only_even_what_an_older_version_left() {
    let lan = Lan::new();
    let root = tempfile::tempdir().unwrap();
    // Like a home folder or /var/lib: other accounts may pass through it.
    set_mode(root.path(), 0o755);
    let data = root.path().join("coord");
    let mut coord = CoordinatorProcess::start(&lan, &data, "test-office");

    // A client whose folder an older version left open.
    let client_dir = root.path().join("client");
    std::fs::create_dir(&client_dir).unwrap();
    std::fs::write(client_dir.join("known_coordinators"), "").unwrap();
    loosen(&client_dir);
    let dir = client_dir.clone();
    let mut alice = Client::start_config("alice", tempfile::tempdir().unwrap(), |_| EngineConfig {
        data_dir: dir,
        discovery: Some(lan.discovery()),
        coordinator: None,
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: "test-alice".into(),
        peer_listen: Some("127.0.0.1:0".parse().unwrap()),
        remember_session: false,
    });
    alice.send(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    alice.ready();
    alice.say_acked(&dm("alice"), "a note only I may read");
    let file = root.path().join("payslip.pdf");
    std::fs::write(&file, b"net pay").unwrap();
    alice.send(Command::ShareFile {
        conv: dm("alice"),
        path: file,
    });
    alice.wait("file message", |e| {
        matches!(e, Event::Message { message, .. } if message.kind == MessageKind::File)
            .then_some(())
    });

    let db = data.join("lanchat.db");
    assert!(data.join("lanchat.db-wal").exists() && data.join("blobs").is_dir());
    assert_private(&data);
    assert_private(&client_dir);
    attack(&db);
    drop(alice);

    // An installation from before: everything world-readable. The next start tightens it.
    coord.stop();
    loosen(&data);
    assert_eq!(mode(&db), 0o644);
    if let Some(Ok(())) = read_as_nobody(&db) {
        eprintln!("before the restart, nobody could read the database (the finding)");
    }
    let _coord = CoordinatorProcess::start(&lan, &data, "test-office");
    assert_private(&data);
    attack(&db);
}
