//! A raw protocol client, as a modified lanchat would be: frames written by hand on a pinned
//! QUIC connection from any loopback address, with the OPAQUE steps a real client takes.
use lanchat_net::fingerprint::Pin;
use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::opaque::{LoggingIn, Registering};
use lanchat_net::protocol::{
    ClientFrame, ErrorInfo, Reply, Request, ServerFrame, PROTOCOL_VERSION,
};

use crate::support::*;

pub struct Raw {
    _endpoint: quinn::Endpoint,
    pub connection: quinn::Connection,
    pub send: quinn::SendStream,
    pub recv: quinn::RecvStream,
}

/// A raw connection from 127.0.0.1.
pub async fn raw(coord: &CoordinatorProcess) -> Raw {
    raw_from(coord.addr, &coord.fingerprint, "127.0.0.1").await
}

/// A raw connection from `ip` (any loopback address: the whole 127/8 is this machine).
pub async fn raw_from(addr: std::net::SocketAddr, fingerprint: &str, ip: &str) -> Raw {
    let pin: Pin = fingerprint.parse().unwrap();
    let bind = std::net::SocketAddr::new(ip.parse().unwrap(), 0);
    let endpoint = quinn::Endpoint::client(bind).unwrap();
    let config = lanchat_net::tls::client_config(pin).unwrap();
    let connection = endpoint
        .connect_with(config, addr, "lanchat")
        .unwrap()
        .await
        .unwrap();
    let (send, recv) = connection.open_bi().await.unwrap();
    Raw {
        _endpoint: endpoint,
        connection,
        send,
        recv,
    }
}

impl Raw {
    pub async fn ask(
        &mut self,
        id: u64,
        request: Request,
    ) -> Result<Reply, lanchat_net::protocol::ErrorInfo> {
        write_frame(&mut self.send, &ClientFrame { id, request })
            .await
            .unwrap();
        loop {
            match read_frame::<ServerFrame>(&mut self.recv)
                .await
                .unwrap()
                .expect("a reply")
            {
                ServerFrame::Reply { id: got, result } if got == id => return result,
                _ => continue,
            }
        }
    }

    pub async fn reply_to_garbage(&mut self, bytes: &[u8]) -> lanchat_net::protocol::ErrorInfo {
        self.send.write_all(bytes).await.unwrap();
        match read_frame::<ServerFrame>(&mut self.recv).await.unwrap() {
            Some(ServerFrame::Reply { result: Err(e), .. }) => e,
            other => panic!("expected an error reply, got {other:?}"),
        }
    }

    pub async fn closed(&self) -> String {
        self.connection.closed().await.to_string()
    }
}

impl Raw {
    /// Hello, as every connection starts.
    pub async fn hello(&mut self, id: u64) -> Result<Reply, ErrorInfo> {
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: "raw".into(),
        };
        self.ask(id, hello).await
    }

    /// Registers with OPAQUE (two requests, ids `id` and `id + 1`).
    pub async fn register(
        &mut self,
        id: u64,
        username: &str,
        password: &str,
    ) -> Result<Reply, ErrorInfo> {
        let (state, request) = Registering::start(password).unwrap();
        let start = Request::RegisterStart {
            username: username.into(),
            request,
        };
        let Reply::RegisterResponse { response } = self.ask(id, start).await? else {
            panic!("no registration response");
        };
        let upload = state.finish(password, &response).unwrap();
        self.ask(id + 1, Request::RegisterFinish { upload }).await
    }

    /// The first half of an OPAQUE login, and what the client makes of the answer: `Ok(None)`
    /// when the password does not open it (a real client stops there).
    pub async fn try_password(
        &mut self,
        id: u64,
        username: &str,
        password: &str,
    ) -> Result<Option<Reply>, ErrorInfo> {
        let (state, request) = LoggingIn::start(password).unwrap();
        let start = Request::LoginStart {
            username: username.into(),
            request,
        };
        match self.ask(id, start).await? {
            Reply::LoginResponse { response } => match state.finish(password, &response) {
                Ok(finalization) => self
                    .ask(id + 1, Request::LoginFinish { finalization })
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            },
            other => Ok(Some(other)),
        }
    }
}
