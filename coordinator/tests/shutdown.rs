//! A coordinator that shuts down tells its clients, lets them have the notice, closes their
//! connections itself, and closes its database.
//!
//! Real coordinators on 127.0.0.1 (port 0, no multicast discovery), real clients: the client
//! engine, and a raw protocol client that shows the frames themselves. Every wait is on an
//! event or a frame, with a deadline; nothing sleeps.
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use lanchat_client::{Command, Engine, EngineConfig, Event, Target};
use lanchat_coordinator::config::DB_FILE;
use lanchat_coordinator::gate::Close;
use lanchat_coordinator::{Coordinator, CoordinatorConfig};
use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::opaque::Registering;
use lanchat_net::protocol::{
    ClientFrame, Event as Push, Reply, Request, ServerFrame, PROTOCOL_VERSION,
};
use lanchat_store::{Reads as _, Store};

/// How long any one wait may take before the test fails (generous: Argon2 in a debug build
/// on a busy machine).
const PATIENCE: Duration = Duration::from_secs(60);
const PASSWORD: &str = "correct horse battery";
/// What the coordinator is told when it shuts down (and so tells its sessions).
const REASON: &str = "the test is over";

/// A coordinator on loopback with its own runtime and data directory.
struct Office {
    runtime: tokio::runtime::Runtime,
    coordinator: Coordinator,
    data: tempfile::TempDir,
}

impl Office {
    fn start() -> Office {
        let data = tempfile::tempdir().expect("data dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = CoordinatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            name: "test office".into(),
            ..CoordinatorConfig::new(data.path().join("coordinator"))
        };
        let coordinator = {
            let _inside = runtime.enter();
            Coordinator::start(config).expect("coordinator starts")
        };
        Office {
            runtime,
            coordinator,
            data,
        }
    }

    fn target(&self) -> Target {
        Target {
            addr: self.coordinator.local_addr().expect("address"),
            pin: Pin::exact(self.coordinator.fingerprint()),
        }
    }

    fn db(&self) -> std::path::PathBuf {
        self.data.path().join("coordinator").join(DB_FILE)
    }

    /// Shuts the coordinator down; returns its database file.
    fn shut_down(self) -> (std::path::PathBuf, tempfile::TempDir) {
        let db = self.db();
        self.runtime.block_on(self.coordinator.shutdown(REASON));
        (db, self.data)
    }
}

/// Waits for the first event `pick` accepts.
fn wait_for<T>(engine: &Engine, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match engine.events().recv_timeout(left) {
            Ok(event) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("no {what} within {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the engine stopped before {what}"),
        }
    }
}

/// The database was closed: SQLite checkpoints the write-ahead log into the file and
/// removes it when its last connection closes, and what was committed is there.
fn assert_closed(db: &Path, user: &str) {
    let wal = db.with_file_name(format!("{DB_FILE}-wal"));
    assert!(
        !wal.exists(),
        "{} is still there: the database was not closed",
        wal.display()
    );
    let store = Store::open(db).expect("the database opens again");
    assert!(
        store.user_by_name(user).expect("readable").is_some(),
        "{user}'s account was stored"
    );
}

#[test]
fn a_connected_client_is_told_and_disconnected_and_the_database_closes() {
    let office = Office::start();
    let client_data = tempfile::tempdir().expect("client dir");
    let engine = Engine::start(EngineConfig {
        data_dir: client_data.path().to_path_buf(),
        discovery: None,
        coordinator: Some(office.target()),
        accept_new_fingerprint: false,
        trust_first_contact: false,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: "shutdown-test".into(),
        peer_listen: None,
        remember_session: false,
    })
    .expect("engine starts");
    engine.send(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    wait_for(&engine, "login", |e| {
        matches!(e, Event::LoggedIn { .. }).then_some(())
    });

    let (db, _data) = office.shut_down();

    let reason = wait_for(&engine, "the disconnect", |e| match e {
        Event::Disconnected { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    // What the engine says when the coordinator closed the connection (rather than the
    // network going silent).
    assert_eq!(reason, "the coordinator closed the connection");
    assert_closed(&db, "alice");
}

#[test]
fn the_shutdown_notice_arrives_before_the_connection_closes() {
    let office = Office::start();
    let target = office.target();
    // A raw client on a runtime of its own, which keeps running (acknowledging what arrives)
    // while this thread waits for the shutdown: log in, then read every frame until the end.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    // The send half is kept open: dropping it would finish the stream, and the coordinator
    // would close the connection for that ("bye") rather than for the shutdown.
    let (_endpoint, connection, _send, mut recv) = runtime.block_on(async {
        let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        let config = lanchat_net::tls::client_config(target.pin.clone()).unwrap();
        let connection = endpoint
            .connect_with(config, target.addr, "lanchat")
            .unwrap()
            .await
            .expect("connects");
        let (mut send, mut recv) = connection.open_bi().await.unwrap();
        // Hello, then an OPAQUE registration: each request waits for its answer, which the
        // next one may need.
        let (registering, request_bytes) = Registering::start(PASSWORD).unwrap();
        let mut registering = Some(registering);
        let mut request = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "raw".into(),
        };
        for id in 1.. {
            write_frame(&mut send, &ClientFrame { id, request })
                .await
                .unwrap();
            let result = loop {
                let frame = tokio::time::timeout(PATIENCE, read_frame::<ServerFrame>(&mut recv))
                    .await
                    .expect("a reply in time")
                    .unwrap()
                    .expect("a frame");
                match frame {
                    ServerFrame::Reply { id: got, result } if got == id => break result,
                    _ => continue,
                }
            };
            request = match result {
                Ok(Reply::Welcome { .. }) => Request::RegisterStart {
                    username: "bob".into(),
                    request: request_bytes.clone(),
                },
                Ok(Reply::RegisterResponse { response }) => {
                    let state = registering.take().expect("one registration");
                    let upload = state.finish(PASSWORD, &response).unwrap();
                    Request::RegisterFinish { upload }
                }
                Ok(Reply::LoggedIn { .. }) => break,
                other => panic!("{other:?}"),
            };
        }
        (endpoint, connection, send, recv)
    });
    let reader = runtime.spawn(async move {
        let mut notices = Vec::new();
        loop {
            match tokio::time::timeout(PATIENCE, read_frame::<ServerFrame>(&mut recv)).await {
                Ok(Ok(Some(ServerFrame::Event(Push::Shutdown { reason })))) => notices.push(reason),
                Ok(Ok(Some(_))) => continue,
                // The coordinator finished the stream: everything it wrote has arrived.
                Ok(Ok(None)) => return (notices, true),
                Ok(Err(_)) => return (notices, false),
                Err(_) => panic!("the stream neither ended nor broke within {PATIENCE:?}"),
            }
        }
    });

    let (db, _data) = office.shut_down();

    let (notices, finished) = runtime.block_on(reader).expect("reader");
    assert_eq!(notices, [REASON], "the session was told, once, why");
    assert!(finished, "the chat stream ended cleanly, after the notice");
    let closed = runtime.block_on(connection.closed());
    // The connection's own close (after its writer drained), not the endpoint's last resort
    // (which would carry the shutdown's reason).
    match closed {
        quinn::ConnectionError::ApplicationClosed(close) => {
            assert_eq!(close.error_code, Close::SHUTDOWN.code.into());
            assert_eq!(&close.reason[..], Close::SHUTDOWN.reason.as_bytes());
        }
        other => panic!("closed by {other:?}, not by the coordinator"),
    }
    assert_closed(&db, "bob");
}
