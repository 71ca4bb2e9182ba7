//! The coordinator connection: the QUIC handshake with a pinned certificate, the chat stream,
//! and the task that reads its frames.
use std::net::SocketAddr;

use lanchat_net::framed::{FrameError, FrameReader};
use lanchat_net::protocol::{ErrorCode, ErrorInfo, ServerFrame};
use lanchat_net::tls;
use tokio::sync::mpsc;

use crate::api::Target;

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

/// Connects to `target` and opens the chat stream.
pub(super) async fn connect(
    target: &Target,
) -> Result<(quinn::Connection, quinn::SendStream, quinn::RecvStream), String> {
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
    Ok((connection, send, recv))
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
