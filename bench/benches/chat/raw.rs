//! The DM round trip through the real coordinator without the client engine: raw protocol
//! clients (QUIC, TLS 1.3 with the pinned fingerprint, postcard frames), each on a thread and
//! single-threaded runtime of its own, as each engine is. Subtracted from the engines' round
//! trip it gives what the engines' thread hand-offs cost; with the bare-QUIC relay and the
//! store commits subtracted from it, what the coordinator's own work costs.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{write_frame, FrameReader};
use lanchat_net::opaque::Registering;
use lanchat_net::protocol::{
    ClientFrame, ConvRef, Event, MsgId, Reply, Request, ServerFrame, PROTOCOL_VERSION,
};
use lanchat_net::tls;
use tokio::sync::mpsc;

use crate::rounds::{slot, MEASURED_ROUNDS, WARMUP_ROUNDS};

/// Satisfies the coordinator's password policy.
const PASSWORD: &str = "correct horse battery";
/// Failure guard for any one awaited frame; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(20);

/// One logged-in connection; a task reads its frames into `frames`.
struct Raw {
    conn: quinn::Connection,
    send: quinn::SendStream,
    frames: mpsc::UnboundedReceiver<ServerFrame>,
    next_id: u64,
}

impl Raw {
    /// Connects and registers `name`.
    async fn register(addr: SocketAddr, pin: Pin, name: &str) -> Raw {
        let endpoint =
            tls::endpoint("127.0.0.1:0".parse().expect("loopback"), None).expect("client endpoint");
        let config = tls::client_config(pin).expect("client config");
        let conn = endpoint
            .connect_with(config, addr, "lanchat")
            .expect("connect")
            .await
            .expect("handshake");
        let (send, mut recv) = conn.open_bi().await.expect("chat stream");
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = FrameReader::new();
            while let Ok(Some(frame)) = reader.next::<ServerFrame>(&mut recv).await {
                if tx.send(frame).is_err() {
                    return;
                }
            }
        });
        let mut raw = Raw {
            conn,
            send,
            frames,
            next_id: 1,
        };
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "chat-bench-raw".into(),
        };
        assert!(matches!(raw.ask(hello).await, Reply::Welcome { .. }));
        let (state, request) = Registering::start(PASSWORD).expect("OPAQUE start");
        let start = Request::RegisterStart {
            username: name.into(),
            request,
        };
        let Reply::RegisterResponse { response } = raw.ask(start).await else {
            panic!("register {name}: no RegisterResponse");
        };
        let upload = state.finish(PASSWORD, &response).expect("OPAQUE finish");
        let reply = raw.ask(Request::RegisterFinish { upload }).await;
        assert!(matches!(reply, Reply::LoggedIn { .. }), "register {name}");
        raw
    }

    async fn post(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.send, &ClientFrame { id, request })
            .await
            .expect("write frame");
        id
    }

    async fn next(&mut self) -> ServerFrame {
        tokio::time::timeout(PATIENCE, self.frames.recv())
            .await
            .expect("frame in time")
            .expect("connection open")
    }

    /// Sends a request and waits for its reply (events before it are skipped).
    async fn ask(&mut self, request: Request) -> Reply {
        let id = self.post(request).await;
        loop {
            if let ServerFrame::Reply { id: got, result } = self.next().await {
                if got == id {
                    return result.unwrap_or_else(|e| panic!("refused: {}", e.message));
                }
            }
        }
    }

    async fn dm(&mut self, to: &str, text: String) {
        let request = Request::Send {
            conv: ConvRef::Dm(to.into()),
            id: MsgId::random(),
            text,
            reply_to: None,
        };
        self.post(request).await;
    }

    /// The next message from `sender` (replies and other events are skipped).
    async fn message_from(&mut self, sender: &str) -> String {
        loop {
            if let ServerFrame::Event(Event::Message(m)) = self.next().await {
                if m.sender == sender {
                    return m.text;
                }
            }
        }
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Measured round trips rawa → rawb → rawa, on the same schedule as the others.
pub fn measure(addr: SocketAddr, pin: Pin) -> Vec<Duration> {
    let rounds = WARMUP_ROUNDS + MEASURED_ROUNDS;
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let b_pin = pin.clone();
    let b = thread::spawn(move || {
        current_thread().block_on(async move {
            let mut b = Raw::register(addr, b_pin, "rawb").await;
            ready_tx.send(()).expect("ready");
            for _ in 0..rounds {
                let text = b.message_from("rawa").await;
                b.dm("rawa", format!("re: {text}")).await;
            }
            // Wait for the last reply's acknowledgement (it is stored) before leaving.
            loop {
                if let ServerFrame::Reply { id, .. } = b.next().await {
                    if id + 1 == b.next_id {
                        break;
                    }
                }
            }
            b.conn.close(0u32.into(), b"done");
        });
    });
    ready.recv().expect("rawb registered");
    let times = current_thread().block_on(async move {
        let mut a = Raw::register(addr, pin, "rawa").await;
        let start = tokio::time::Instant::now();
        let mut times = Vec::with_capacity(MEASURED_ROUNDS);
        for i in 0..rounds {
            tokio::time::sleep_until(slot(start, i)).await;
            let t0 = Instant::now();
            a.dm("rawb", format!("ping {i}")).await;
            let back = a.message_from("rawb").await;
            let took = t0.elapsed();
            assert_eq!(back, format!("re: ping {i}"), "replies arrive in order");
            if i >= WARMUP_ROUNDS {
                times.push(took);
            }
        }
        a.conn.close(0u32.into(), b"done");
        times
    });
    b.join().expect("rawb's thread");
    times
}
