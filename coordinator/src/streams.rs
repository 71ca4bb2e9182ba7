//! File streams on a client's connection (every stream after the chat stream): relaying an
//! offer between two clients, receiving an upload for a shared file, serving a download.
//! Files never share the chat stream, so chat stays responsive while they move.
use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::protocol::{ErrorCode, ErrorInfo};
use lanchat_net::transfer::stream::{keyed_hash, proof_of, receive_file, send_file, Expected};
use lanchat_net::transfer::wire::{FileMeta, Ready, StreamOpen, UploadNeed, UploadStart};
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

/// Refuses a stream with the reason. Every kind of stream (relay, upload, download) takes
/// its first answer as a `Result<_, ErrorInfo>`, whose `Err` is the same bytes whatever the
/// `Ok` type, so one refusal fits them all.
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
        StreamOpen::Upload {
            ticket,
            token,
            proof,
        } => upload(shared, user, (ticket, token), proof, send, recv).await,
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
    // The token first: nothing is registered (or replaced) for a stream that cannot show
    // it. A junk token once replaced the real sender waiting here and cut its transfer.
    let s = shared.clone();
    let allowed = blocking(move || s.hub().relay_allowed(user, offer, &token, sender, now_ms()));
    if let Err(e) = allowed.await {
        refuse(&mut send, e).await;
        return Ok(());
    }
    if sender {
        // Wait at the relay before the recipient is told to come, so it always finds us.
        let rx = shared.relays.wait(offer);
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

/// Copies one direction of a relay until the source finishes: the received chunks (one per
/// packet) are gathered into one buffer of up to [`RELAY_CHUNK`] and handed on as it is, so
/// each byte is copied once here (reading into a buffer and `write_all` copied it twice).
/// Handing each packet's chunk on by itself would copy nothing, but would leave thousands of
/// small segments in the sending side's buffer, which quinn scans for every packet it builds.
async fn copy(mut from: quinn::RecvStream, mut to: quinn::SendStream) -> Result<(), String> {
    let mut buf = bytes::BytesMut::with_capacity(RELAY_CHUNK);
    loop {
        // A fast stream must not keep its worker from the other tasks.
        tokio::task::consume_budget().await;
        // What has arrived and is gathered goes on before waiting for more.
        let chunk = match ready_now(&mut from, RELAY_CHUNK - buf.len()) {
            Some(chunk) => chunk,
            None => {
                if !buf.is_empty() {
                    let full = buf.split().freeze();
                    to.write_chunk(full).await.map_err(|e| e.to_string())?;
                }
                from.read_chunk(RELAY_CHUNK, true).await
            }
        };
        match chunk {
            Ok(Some(chunk)) => {
                buf.extend_from_slice(&chunk.bytes);
                if buf.len() >= RELAY_CHUNK {
                    let full = buf.split().freeze();
                    to.write_chunk(full).await.map_err(|e| e.to_string())?;
                }
            }
            Ok(None) => {
                if !buf.is_empty() {
                    let full = buf.split().freeze();
                    to.write_chunk(full).await.map_err(|e| e.to_string())?;
                }
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

/// The next chunk of `from` if one has arrived already, without waiting.
fn ready_now(
    from: &mut quinn::RecvStream,
    max: usize,
) -> Option<Result<Option<quinn::Chunk>, quinn::ReadError>> {
    use std::future::Future as _;
    let mut read = std::pin::pin!(from.read_chunk(max, true));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match read.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(result) => Some(result),
        std::task::Poll::Pending => None,
    }
}

/// Receives the content of a shared file. The stream opens with a proof of possession (the
/// content's BLAKE3 keyed with the ticket's nonce): if it matches content the coordinator has,
/// no bytes move; otherwise the bytes must come, and are verified against the hash. Either
/// way the answer takes as long (the proof is checked against a stand-in of the same size
/// when there is nothing stored), so a client without the content learns nothing.
async fn upload(
    shared: Arc<Shared>,
    user: UserId,
    (ticket, token): (u64, [u8; 32]),
    proof: [u8; 32],
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) -> Result<(), String> {
    let s = shared.clone();
    let found = blocking(move || {
        let mut hub = s.hub();
        let upload = hub.upload(user, ticket, &token, now_ms())?;
        let blobs = hub
            .blobs()
            .ok_or_else(|| ErrorInfo::new(ErrorCode::PermissionDenied, "sharing is disabled"))?;
        Ok((upload, blobs))
    })
    .await;
    let (upload, blobs) = match found {
        Ok(v) => v,
        Err(e) => {
            let _ = write_frame(&mut send, &UploadStart::Err(e)).await;
            let _ = send.finish();
            return Ok(());
        }
    };
    let (hash, size, nonce) = (upload.hash, upload.size, upload.nonce);
    let b = blobs.clone();
    let proven = tokio::task::spawn_blocking(move || {
        let stored = b.path(&hash);
        let held = b.stored_size(&hash) == Some(size);
        let expected = if held {
            proof_of(&stored, &nonce)
        } else {
            keyed_hash(std::io::repeat(0).take(size), &nonce).map(|(h, _)| h)
        };
        // Compared in constant time (blake3's Hash equality).
        held && expected.is_ok_and(|e| blake3::Hash::from(e) == blake3::Hash::from(proof))
    })
    .await
    .unwrap_or(false);
    if proven {
        write_frame(&mut send, &UploadStart::Ok(UploadNeed::Nothing))
            .await
            .map_err(|e| e.to_string())?;
        let _ = send.finish();
        return blocking(move || shared.hub().finish_upload(ticket, &upload, now_ms()))
            .await
            .map_err(|e| e.message);
    }
    write_frame(&mut send, &UploadStart::Ok(UploadNeed::Content))
        .await
        .map_err(|e| e.to_string())?;
    let partial = blobs
        .partial(user, &hash)
        .map_err(|e| format!("cannot keep the upload: {e}"))?;
    let place = move |p: &std::path::Path| blobs.commit(p, &hash);
    let expected = Expected {
        name: &upload.name,
        size,
        hash,
    };
    receive_file(&mut send, &mut recv, &partial, expected, |_| {}, place)
        .await
        .map_err(|e| e.to_string())?;
    blocking(move || shared.hub().finish_upload(ticket, &upload, now_ms()))
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
