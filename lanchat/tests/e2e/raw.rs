//! A raw protocol client, as a modified lanchat would be: frames written by hand on a pinned
//! QUIC connection to a real coordinator, from any loopback address, with the OPAQUE steps a
//! real client takes. Attack tests speak through it.
#![allow(dead_code)]

use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::opaque::{LoggingIn, Registering};
use lanchat_net::protocol::{
    ClientFrame, ErrorInfo, Event, Reply, Request, ServerFrame, PROTOCOL_VERSION,
};

use crate::support::{CoordinatorProcess, PASSWORD};

/// One connection and its chat stream.
pub struct Raw {
    _endpoint: quinn::Endpoint,
    pub connection: quinn::Connection,
    pub send: quinn::SendStream,
    pub recv: quinn::RecvStream,
    next_id: u64,
    /// Events read while waiting for replies.
    pub events: Vec<Event>,
}

/// A connection from 127.0.0.1 with its chat stream open, nothing said yet.
pub async fn raw(coord: &CoordinatorProcess) -> Raw {
    raw_from(coord.addr, &coord.fingerprint, "127.0.0.1").await
}

/// A connection from `ip` (any loopback address: the whole 127/8 is this machine).
pub async fn raw_from(addr: std::net::SocketAddr, fingerprint: &str, ip: &str) -> Raw {
    let (endpoint, connection) = connect_from(addr, fingerprint, ip).await;
    let (send, recv) = connection.open_bi().await.unwrap();
    Raw {
        _endpoint: endpoint,
        connection,
        send,
        recv,
        next_id: 1,
        events: Vec::new(),
    }
}

/// A bare QUIC connection from `ip` (no stream yet: the coordinator may already be closing
/// it), with the endpoint that must live as long as it does.
pub async fn connect_from(
    addr: std::net::SocketAddr,
    fingerprint: &str,
    ip: &str,
) -> (quinn::Endpoint, quinn::Connection) {
    let pin: Pin = fingerprint.parse().unwrap();
    let bind = std::net::SocketAddr::new(ip.parse().unwrap(), 0);
    let endpoint = quinn::Endpoint::client(bind).unwrap();
    let config = lanchat_net::tls::client_config(pin).unwrap();
    let connection = endpoint
        .connect_with(config, addr, "lanchat")
        .unwrap()
        .await
        .unwrap();
    (endpoint, connection)
}

/// The Hello every connection starts with.
pub fn hello() -> Request {
    Request::Hello {
        version: PROTOCOL_VERSION,
        client: "raw".into(),
    }
}

/// A greeted connection logged in as `user` (registered first if `register`); returns it and
/// its session token.
pub async fn logged_in(coord: &CoordinatorProcess, user: &str, register: bool) -> (Raw, [u8; 32]) {
    let mut c = raw(coord).await;
    assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
    let reply = if register {
        c.register(user, PASSWORD).await
    } else {
        c.try_password(user, PASSWORD)
            .await
            .map(|r| r.expect("the password opens the account"))
    };
    match reply {
        Ok(Reply::LoggedIn { token, .. }) => (c, token),
        other => panic!("{user} could not log in: {other:?}"),
    }
}

/// Another connection of the session `token` stands for.
pub async fn resumed(coord: &CoordinatorProcess, token: [u8; 32]) -> Raw {
    let mut c = raw(coord).await;
    assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
    match c.ask(Request::Resume { token }).await {
        Ok(Reply::LoggedIn { .. }) => c,
        other => panic!("resume: {other:?}"),
    }
}

impl Raw {
    /// Hello, as every connection starts.
    pub async fn hello(&mut self) -> Result<Reply, ErrorInfo> {
        self.ask(hello()).await
    }

    /// Sends one request and waits for its reply (events meanwhile are kept).
    pub async fn ask(&mut self, request: Request) -> Result<Reply, ErrorInfo> {
        let id = self.write(request).await;
        self.reply_to(id).await
    }

    /// Sends a request without waiting; returns its frame id.
    pub async fn write(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.send, &ClientFrame { id, request })
            .await
            .unwrap();
        id
    }

    /// Sends every request at once, then reads every reply, in order.
    pub async fn pipeline(&mut self, requests: Vec<Request>) -> Vec<Result<Reply, ErrorInfo>> {
        let mut ids = Vec::new();
        for r in requests {
            ids.push(self.write(r).await);
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(self.reply_to(id).await);
        }
        out
    }

    /// Reads frames until the reply to `id`.
    pub async fn reply_to(&mut self, id: u64) -> Result<Reply, ErrorInfo> {
        self.reply_or_end(id).await.expect("a reply")
    }

    /// Like [`Raw::ask`], but `None` when the coordinator ends the stream first (it cut the
    /// connection off).
    pub async fn ask_or_end(&mut self, request: Request) -> Option<Result<Reply, ErrorInfo>> {
        let id = self.write(request).await;
        self.reply_or_end(id).await
    }

    /// Reads frames until the reply to `id`, or `None` at the end of the stream.
    async fn reply_or_end(&mut self, id: u64) -> Option<Result<Reply, ErrorInfo>> {
        loop {
            let frame = match read_frame::<ServerFrame>(&mut self.recv).await {
                Ok(Some(frame)) => frame,
                Ok(None) | Err(_) => return None,
            };
            match frame {
                ServerFrame::Reply { id: got, result } if got == id => return Some(result),
                ServerFrame::Event(e) => self.events.push(e),
                ServerFrame::Reply { .. } => {}
            }
        }
    }

    /// Reads frames until an event `pick` accepts.
    pub async fn event<T>(&mut self, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        if let Some(v) = self.events.iter().find_map(&mut pick) {
            return v;
        }
        loop {
            match read_frame::<ServerFrame>(&mut self.recv)
                .await
                .unwrap()
                .expect("an event")
            {
                ServerFrame::Event(e) => {
                    let picked = pick(&e);
                    self.events.push(e);
                    if let Some(v) = picked {
                        return v;
                    }
                }
                ServerFrame::Reply { .. } => {}
            }
        }
    }

    /// Registers with OPAQUE (two requests).
    pub async fn register(&mut self, username: &str, password: &str) -> Result<Reply, ErrorInfo> {
        let (state, request) = Registering::start(password).unwrap();
        let start = Request::RegisterStart {
            username: username.into(),
            request,
        };
        let Reply::RegisterResponse { response } = self.ask(start).await? else {
            panic!("no registration response");
        };
        let upload = state.finish(password, &response).unwrap();
        self.ask(Request::RegisterFinish { upload }).await
    }

    /// The first half of an OPAQUE login, and what the client makes of the answer: `Ok(None)`
    /// when the password does not open it (a real client stops there).
    pub async fn try_password(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<Option<Reply>, ErrorInfo> {
        let (state, request) = LoggingIn::start(password).unwrap();
        let start = Request::LoginStart {
            username: username.into(),
            request,
        };
        match self.ask(start).await? {
            Reply::LoginResponse { response } => match state.finish(password, &response) {
                Ok(finalization) => self
                    .ask(Request::LoginFinish { finalization })
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            },
            other => Ok(Some(other)),
        }
    }

    /// Writes raw bytes and reads the error reply they provoke.
    pub async fn reply_to_garbage(&mut self, bytes: &[u8]) -> ErrorInfo {
        self.send.write_all(bytes).await.unwrap();
        match read_frame::<ServerFrame>(&mut self.recv).await.unwrap() {
            Some(ServerFrame::Reply { result: Err(e), .. }) => e,
            other => panic!("expected an error reply, got {other:?}"),
        }
    }

    /// A file stream on this connection.
    pub async fn stream(&self) -> (quinn::SendStream, quinn::RecvStream) {
        self.connection.open_bi().await.unwrap()
    }

    /// Why the coordinator closed the connection.
    pub async fn closed(&self) -> String {
        self.connection.closed().await.to_string()
    }
}
