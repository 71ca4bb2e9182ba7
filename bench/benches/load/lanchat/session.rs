//! Raw lanchat protocol clients: real QUIC, TLS 1.3 with the pinned fingerprint, Hello,
//! Register/Resume, postcard frames — not the client engine (one thread per client), so that
//! thousands fit on one runtime. Connections share a few client endpoints (a UDP socket each).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lanchat_net::framed::{write_frame, FrameReader};
use lanchat_net::protocol::{
    ClientFrame, ConvRef, ErrorInfo, Event, MessageKind, MsgId, Reply, Request, ServerFrame,
    PROTOCOL_VERSION,
};
use lanchat_net::tls;
use tokio::sync::mpsc;

use super::coordinator::CoordinatorProcess;
use crate::clock::now_us;
use crate::system::{Peer, Recorder, To};

/// Client endpoints (UDP sockets) the connections are spread over.
pub const CLIENT_ENDPOINTS: usize = 16;
/// Failure guard for any one awaited reply; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);

/// Client endpoints shared by every connection (a UDP socket each).
pub struct Net {
    endpoints: Vec<quinn::Endpoint>,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    next: AtomicUsize,
}

impl Net {
    /// Endpoints on 127.0.0.1 for connections to `coord`.
    pub fn new(coord: &CoordinatorProcess) -> Arc<Self> {
        let endpoints = (0..CLIENT_ENDPOINTS)
            .map(|_| {
                tls::endpoint("127.0.0.1:0".parse().expect("loopback"), None)
                    .expect("client endpoint")
            })
            .collect();
        Arc::new(Net {
            endpoints,
            config: tls::client_config(coord.pin.clone()).expect("client config"),
            addr: coord.addr,
            next: AtomicUsize::new(0),
        })
    }
}

/// A reply: request id, result, and when it arrived (µs).
type Answer = (u64, Result<Reply, ErrorInfo>, u64);

/// One logged-in connection: its chat stream's send half; a task reads the other half.
pub struct Session {
    conn: quinn::Connection,
    send: quinn::SendStream,
    next_id: u64,
    replies: mpsc::UnboundedReceiver<Answer>,
    rec: Arc<Recorder>,
    /// Send times (µs) of posts whose replies are timed, by request id.
    posted: HashMap<u64, u64>,
}

async fn read_loop(
    mut recv: quinn::RecvStream,
    replies: mpsc::UnboundedSender<Answer>,
    rec: Arc<Recorder>,
) {
    let mut reader = FrameReader::new();
    loop {
        match reader.next::<ServerFrame>(&mut recv).await {
            Ok(Some(ServerFrame::Reply { id, result })) => {
                let _ = replies.send((id, result, now_us()));
            }
            Ok(Some(ServerFrame::Event(Event::Message(m)))) => {
                if m.kind == MessageKind::Text {
                    rec.message(&m.sender, &m.text);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return rec.end("stream finished".into()),
            Err(e) => return rec.end(e.to_string()),
        }
    }
}

impl Session {
    /// Connects, says hello and logs in with `login` (Register, Login or Resume).
    pub async fn open(
        net: &Net,
        login: Request,
        rec: Arc<Recorder>,
    ) -> Result<(Self, Reply), String> {
        let i = net.next.fetch_add(1, Ordering::Relaxed) % net.endpoints.len();
        let conn = net.endpoints[i]
            .connect_with(net.config.clone(), net.addr, "lanchat")
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        let (send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
        let (replies_tx, replies) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(recv, replies_tx, rec.clone()));
        let mut session = Session {
            conn,
            send,
            next_id: 1,
            replies,
            rec,
            posted: HashMap::new(),
        };
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "load-bench".into(),
        };
        match session.ask(hello).await? {
            Reply::Welcome { .. } => {}
            other => return Err(format!("expected Welcome, got {other:?}")),
        }
        let reply = session.ask(login).await?;
        Ok((session, reply))
    }

    /// Writes a request without waiting for its reply; returns its id.
    async fn post(&mut self, request: Request) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.send, &ClientFrame { id, request })
            .await
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// Sends a request and waits for its reply (skipping replies to earlier posts).
    pub async fn ask(&mut self, request: Request) -> Result<Reply, String> {
        let id = self.post(request).await?;
        loop {
            match tokio::time::timeout(PATIENCE, self.replies.recv()).await {
                Ok(Some((got, result, _))) if got == id => {
                    return result.map_err(|e| format!("{:?}: {}", e.code, e.message))
                }
                Ok(Some(_)) => continue,
                Ok(None) => return Err("connection closed".into()),
                Err(_) => return Err(format!("no reply within {PATIENCE:?}")),
            }
        }
    }
}

impl Peer for Session {
    fn recorder(&self) -> &Arc<Recorder> {
        &self.rec
    }

    /// Posts a `Send`, remembering its send time for [`Peer::drain_replies`].
    async fn send(&mut self, to: To<'_>, text: String) -> Result<(), String> {
        let conv = match to {
            To::Room(name) => ConvRef::Room(name.to_string()),
            To::Dm(name) => ConvRef::Dm(name.to_string()),
        };
        let sent = now_us();
        let request = Request::Send {
            conv,
            id: MsgId::random(),
            text,
            reply_to: None,
        };
        let id = self.post(request).await?;
        self.posted.insert(id, sent);
        Ok(())
    }

    fn drain_replies(&mut self) -> (Vec<String>, Vec<(u64, u32)>) {
        let mut errors = Vec::new();
        let mut acks = Vec::new();
        while let Ok((id, result, at)) = self.replies.try_recv() {
            if let Err(e) = result {
                errors.push(format!("{:?}: {}", e.code, e.message));
            } else if let Some(sent) = self.posted.remove(&id) {
                acks.push((sent, at.saturating_sub(sent) as u32));
            }
        }
        (errors, acks)
    }

    fn close(self) {
        self.conn.close(0u32.into(), b"bye");
    }
}
