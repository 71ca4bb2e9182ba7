//! The coordinator connection: the QUIC handshake with a pinned certificate, the chat stream,
//! and the task that reads its frames.
use std::net::SocketAddr;

use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::framed::{FrameError, FrameReader};
use lanchat_net::protocol::{ErrorCode, ErrorInfo, ServerFrame};
use lanchat_net::tls;
use tokio::sync::mpsc;

use crate::api::Target;
use crate::core::locate::STAGGER;

/// An open connection to the coordinator with its chat stream.
pub(super) struct Open {
    pub(super) connection: quinn::Connection,
    pub(super) send: quinn::SendStream,
    /// Frames the reader task decoded; closed when the stream ends.
    pub(super) frames: mpsc::Receiver<ServerFrame>,
    reader: tokio::task::JoinHandle<()>,
}

impl Open {
    /// Starts reading frames from `recv`.
    pub(super) fn new(
        connection: quinn::Connection,
        send: quinn::SendStream,
        recv: quinn::RecvStream,
    ) -> Open {
        let (frame_tx, frames) = mpsc::channel(256);
        let reader = tokio::spawn(read_loop(recv, frame_tx));
        Open {
            connection,
            send,
            frames,
            reader,
        }
    }

    /// Finishes the chat stream and closes the connection.
    pub(super) fn close(mut self) {
        self.reader.abort();
        let _ = self.send.finish();
        self.connection.close(0u32.into(), b"bye");
    }

    /// Why the chat stream ended, in words: a silent network (keep-alives unanswered) is not
    /// the coordinator closing the connection.
    pub(super) fn lost_reason(&self) -> String {
        match self.connection.close_reason() {
            Some(quinn::ConnectionError::TimedOut) => {
                "the coordinator stopped answering (network down or coordinator gone)".into()
            }
            Some(quinn::ConnectionError::ApplicationClosed(_)) | None => {
                "the coordinator closed the connection".into()
            }
            Some(other) => format!("connection lost: {other}"),
        }
    }
}

/// A connection that opened, with the certificate it presented.
pub(super) struct Opened {
    pub(super) addr: SocketAddr,
    pub(super) fingerprint: Fingerprint,
    pub(super) connection: quinn::Connection,
    pub(super) send: quinn::SendStream,
    pub(super) recv: quinn::RecvStream,
}

/// Races connections to `targets`: starts the first, then the next every [`STAGGER`] while
/// none has opened; the first to open wins and the others are dropped. A forged address
/// among them costs a moment, never the connection.
pub(super) async fn race(targets: Vec<Target>) -> Result<Opened, String> {
    let mut waiting = targets.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut failures = Vec::new();
    loop {
        if running.is_empty() {
            match waiting.next() {
                Some(target) => {
                    running.spawn(async move { connect(&target).await });
                }
                None => return Err(failures.join("; ")),
            }
        }
        let more = waiting.len() > 0;
        tokio::select! {
            Some(done) = running.join_next() => match done {
                Ok(Ok(opened)) => return Ok(opened),
                Ok(Err(e)) => failures.push(e),
                Err(e) => failures.push(format!("connection attempt failed: {e}")),
            },
            () = tokio::time::sleep(STAGGER), if more => {
                if let Some(target) = waiting.next() {
                    running.spawn(async move { connect(&target).await });
                }
            }
        }
    }
}

/// Connects to `target` and opens the chat stream.
async fn connect(target: &Target) -> Result<Opened, String> {
    let bind = SocketAddr::new(
        if target.addr.is_ipv4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        },
        0,
    );
    let endpoint =
        tls::endpoint(bind, None).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let config = tls::client_config(target.pin.clone()).map_err(|e| e.to_string())?;
    let connecting = endpoint
        .connect_with(config, target.addr, "lanchat")
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
    let connection = connecting
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
    let (send, recv) = connection
        .open_bi()
        .await
        .map_err(|e| format!("connection to {} failed: {e}", target.addr))?;
    let fingerprint = peer_fingerprint(&connection)
        .ok_or_else(|| format!("{} presented no certificate", target.addr))?;
    Ok(Opened {
        addr: target.addr,
        fingerprint,
        connection,
        send,
        recv,
    })
}

/// The fingerprint of the certificate the peer presented (the verifier already checked it
/// against the pin; a short pin matches many, this is the one).
fn peer_fingerprint(connection: &quinn::Connection) -> Option<Fingerprint> {
    let identity = connection.peer_identity()?;
    let certs = identity
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .ok()?;
    certs.first().map(|c| Fingerprint::of_cert(c))
}

/// Reads frames into a channel, so the driver's select loop never cancels a half-read frame.
/// A frame that does not decode becomes an error reply with id 0 (the core reports it), and
/// ends the stream.
async fn read_loop(mut recv: quinn::RecvStream, frames: mpsc::Sender<ServerFrame>) {
    let mut reader = FrameReader::new();
    loop {
        match reader.next::<ServerFrame>(&mut recv).await {
            Ok(Some(frame)) => {
                if frames.send(frame).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                tracing::debug!("read failed: {e}");
                if let FrameError::Codec(c) = e {
                    let info =
                        ErrorInfo::new(ErrorCode::BadRequest, format!("coordinator sent {c}"));
                    let _ = frames
                        .send(ServerFrame::Reply {
                            id: 0,
                            result: Err(info),
                        })
                        .await;
                }
                return;
            }
        }
    }
}
