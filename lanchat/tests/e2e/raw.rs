//! A raw protocol client: what a modified lanchat can send, frame by frame, over a real QUIC
//! connection to a real coordinator (pinned, on loopback). Attack tests speak through it.
#![allow(dead_code)]

use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{read_frame, write_frame};
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

/// A connection with its chat stream open, nothing said yet.
pub async fn raw(coord: &CoordinatorProcess) -> Raw {
    let pin: Pin = coord.fingerprint.parse().unwrap();
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    let config = lanchat_net::tls::client_config(pin).unwrap();
    let connection = endpoint
        .connect_with(config, coord.addr, "lanchat")
        .unwrap()
        .await
        .unwrap();
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
    let request = if register {
        Request::Register {
            username: user.into(),
            password: PASSWORD.into(),
        }
    } else {
        Request::Login {
            username: user.into(),
            password: PASSWORD.into(),
        }
    };
    match c.ask(request).await {
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
        loop {
            match read_frame::<ServerFrame>(&mut self.recv)
                .await
                .unwrap()
                .expect("a reply")
            {
                ServerFrame::Reply { id: got, result } if got == id => return result,
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
