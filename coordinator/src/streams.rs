//! File streams on a client's connection (every stream after the chat stream): relaying an
//! offer between two clients, receiving an upload for a shared file, serving a download.
//! Files never share the chat stream, so chat stays responsive while they move.
use std::sync::Arc;
use std::time::Duration;

use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::protocol::{ErrorCode, ErrorInfo};
use lanchat_net::transfer::stream::{receive_file, send_file, Expected};
use lanchat_net::transfer::wire::{FileMeta, Ready, StreamOpen};
use lanchat_store::UserId;

use crate::clock::now_ms;
use crate::shared::{blocking, Shared};

/// How long the sender's end of a relay waits for the recipient's end.
const RELAY_WAIT: Duration = Duration::from_secs(30);
/// Relay copy buffer.
const RELAY_CHUNK: usize = 256 * 1024;

/// Serves a file stream the client opened on its connection, in a task of its own; `user` is
/// who was logged in on that connection when it was opened. A shutdown stops it (an upload
/// keeps its partial file, for the client to resume).
pub fn spawn(
    shared: Arc<Shared>,
    user: Option<UserId>,
    send: quinn::SendStream,
    recv: quinn::RecvStream,
) {
    let tasks = shared.tasks.clone();
    let stop = shared.shutdown.clone();
    tasks.spawn(async move {
        tokio::select! {
            result = serve(shared, user, send, recv) => if let Err(e) = result {
                tracing::debug!("file stream ended: {e}");
            },
            () = stop.cancelled() => tracing::debug!("file stream stopped: shutting down"),
        }
    });
}

async fn refuse(send: &mut quinn::SendStream, error: ErrorInfo) {
    let _ = write_frame(send, &Ready::Err(error)).await;
    let _ = send.finish();
}

async fn serve(
    shared: Arc<Shared>,
    user: Option<UserId>,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) -> Result<(), String> {
    let open: StreamOpen = read_frame(&mut recv)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("stream closed before saying what it is for")?;
    let Some(user) = user else {
        refuse(
            &mut send,
            ErrorInfo::new(ErrorCode::NotAuthenticated, "log in first"),
        )
        .await;
        return Ok(());
    };
    match open {
        StreamOpen::Peer { .. } => {
            refuse(
                &mut send,
                ErrorInfo::new(
                    ErrorCode::BadRequest,
                    "the coordinator is not a peer; use a relay stream",
                ),
            )
            .await;
            Ok(())
        }
        StreamOpen::Relay {
            offer,
            token,
            sender,
        } => relay(shared, user, offer, token, sender, send, recv).await,
        StreamOpen::Upload { ticket, token } => {
            upload(shared, user, ticket, token, send, recv).await
        }
        StreamOpen::Download { file } => download(shared, user, file, send, recv).await,
    }
}

async fn relay(
    shared: Arc<Shared>,
    user: UserId,
    offer: u64,
    token: [u8; 32],
    sender: bool,
    mut send: quinn::SendStream,
    recv: quinn::RecvStream,
) -> Result<(), String> {
    let allowed = |shared: Arc<Shared>| {
        blocking(move || shared.hub().relay_allowed(user, offer, &token, sender))
    };
    if sender {
        // Wait at the relay before the recipient is told to come, so it always finds us.
        let rx = shared.relays.wait(offer);
        if let Err(e) = allowed(shared.clone()).await {
            shared.relays.take(offer);
            refuse(&mut send, e).await;
            return Ok(());
        }
        let s = shared.clone();
        let _ = blocking(move || {
            s.hub().call_to_relay(offer);
            Ok(())
        })
        .await;
        let Ok(Ok((to_recipient, from_recipient))) = tokio::time::timeout(RELAY_WAIT, rx).await
        else {
            shared.relays.take(offer);
            return Err(format!(
                "recipient of offer {offer} did not come to the relay"
            ));
        };
        // Both directions: bytes and frames from the sender, ready/verdict from the recipient.
        let up = copy(recv, to_recipient);
        let down = copy(from_recipient, send);
        let (a, b) = tokio::join!(up, down);
        a.and(b)
    } else {
        if let Err(e) = allowed(shared.clone()).await {
            refuse(&mut send, e).await;
            return Ok(());
        }
        match shared.relays.take(offer) {
            Some(tx) => tx
                .send((send, recv))
                .map_err(|_| "the sender left the relay".to_string()),
            None => {
                refuse(
                    &mut send,
                    ErrorInfo::new(
                        ErrorCode::NoSuchFile,
                        format!("nobody is sending offer {offer} right now"),
                    ),
                )
                .await;
                Ok(())
            }
        }
    }
}

/// Copies one direction of a relay until the source finishes.
async fn copy(mut from: quinn::RecvStream, mut to: quinn::SendStream) -> Result<(), String> {
    let mut buf = vec![0u8; RELAY_CHUNK];
    loop {
        match from.read(&mut buf).await {
            Ok(Some(n)) => to.write_all(&buf[..n]).await.map_err(|e| e.to_string())?,
            Ok(None) => {
                let _ = to.finish();
                return Ok(());
            }
            Err(e) => {
                // Pass the break on, so the far end stops waiting.
                let _ = to.reset(0u32.into());
                return Err(e.to_string());
            }
        }
    }
}

async fn upload(
    shared: Arc<Shared>,
    user: UserId,
    ticket: u64,
    token: [u8; 32],
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) -> Result<(), String> {
    let s = shared.clone();
    let found = blocking(move || {
        let hub = s.hub();
        let upload = hub.upload(user, ticket, &token)?;
        let blobs = hub
            .blobs()
            .ok_or_else(|| ErrorInfo::new(ErrorCode::PermissionDenied, "sharing is disabled"))?;
        Ok((upload, blobs))
    })
    .await;
    let (upload, blobs) = match found {
        Ok(v) => v,
        Err(e) => {
            refuse(&mut send, e).await;
            return Ok(());
        }
    };
    let partial = blobs.partial(&upload.hash).map_err(|e| e.to_string())?;
    let hash = upload.hash;
    let place = move |p: &std::path::Path| blobs.commit(p, &hash);
    let expected = Expected {
        name: &upload.name,
        size: upload.size,
        hash,
    };
    receive_file(&mut send, &mut recv, &partial, expected, |_| {}, place)
        .await
        .map_err(|e| e.to_string())?;
    blocking(move || shared.hub().finish_upload(ticket, now_ms()))
        .await
        .map_err(|e| e.message)
}

async fn download(
    shared: Arc<Shared>,
    user: UserId,
    file: u64,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) -> Result<(), String> {
    let found = blocking(move || shared.hub().download(user, file)).await;
    let d = match found {
        Ok(d) if d.path.is_file() => d,
        Ok(_) => {
            let e = ErrorInfo::new(
                ErrorCode::NoSuchFile,
                format!("the content of file {file} is missing"),
            );
            let _ = write_frame(&mut send, &Result::<FileMeta, ErrorInfo>::Err(e)).await;
            return Ok(());
        }
        Err(e) => {
            let _ = write_frame(&mut send, &Result::<FileMeta, ErrorInfo>::Err(e)).await;
            let _ = send.finish();
            return Ok(());
        }
    };
    write_frame(
        &mut send,
        &Result::<FileMeta, ErrorInfo>::Ok(d.meta.clone()),
    )
    .await
    .map_err(|e| e.to_string())?;
    send_file(
        &mut send,
        &mut recv,
        &d.path,
        &d.meta.name,
        d.meta.size,
        |_| {},
    )
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}
