//! The driver's transfer tasks: listing and hashing files, sending and receiving offers
//! (directly, then through the relay), uploads and downloads of shared files, and the
//! endpoint that accepts direct connections from senders. The core decides which tasks run;
//! these move the bytes.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use lanchat_net::framed::{read_frame, write_frame};
use lanchat_net::protocol::{ErrorCode, ErrorInfo, FileOffer, PeerEndpoint, UploadTicket};
use lanchat_net::tls::{self, Identity};
use lanchat_net::transfer::names::unique_path;
use lanchat_net::transfer::offer::{receive_files, send_files, Destination, Source};
use lanchat_net::transfer::stream::{
    hash_file, proof_of, receive_file, send_file, Expected, TransferError,
};
use lanchat_net::transfer::wire::{FileMeta, OfferReady, StreamOpen, UploadNeed, UploadStart};
use lanchat_net::transfer::{partial_name, staging_name};
use tokio::sync::{mpsc, oneshot, watch};

use super::peers::Peers;
use super::Note;
use crate::api::{Event, TransferKey};
use crate::core::{DirectEndpoint, Finished, HashJob, OfferPlan, Plan, ScanJob, TransferJob};

/// How long a direct connection may take before the relay is used instead.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per transfer before giving up (each resumes the last).
const ATTEMPTS: u32 = 6;
/// Progress events at most this often per transfer.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// The running transfer tasks and what they share.
pub(super) struct Transfers {
    tasks: HashMap<TransferKey, tokio::task::AbortHandle>,
    /// Direct streams waiting for the core to say whether they may deliver, by ticket.
    waiting_peers: HashMap<u64, oneshot::Sender<Option<OfferPlan>>>,
    next_ticket: u64,
    /// The coordinator connection for relay, upload and download streams (while logged in).
    coordinator: watch::Sender<Option<quinn::Connection>>,
    /// Our endpoint for direct transfers (also used to connect to peers).
    peer: Option<quinn::Endpoint>,
    /// Direct connections kept for the next offer to the same peer.
    peers: Arc<Peers>,
    events: Sender<Event>,
    notes: mpsc::UnboundedSender<Note>,
}

impl Transfers {
    /// Sets up the direct endpoint (if `listen` is given) and its accept loop. Returns the
    /// transfers and the endpoint's port and certificate fingerprint.
    pub(super) fn new(
        data_dir: &Path,
        listen: Option<std::net::SocketAddr>,
        events: Sender<Event>,
        notes: mpsc::UnboundedSender<Note>,
    ) -> Result<(Transfers, Option<DirectEndpoint>), String> {
        let (peer, endpoint) = match listen {
            Some(addr) => {
                let identity =
                    Identity::load_or_create(&data_dir.join("peer")).map_err(|e| e.to_string())?;
                let config = tls::server_config(&identity).map_err(|e| e.to_string())?;
                let endpoint =
                    tls::endpoint(addr, Some(config)).map_err(|e| format!("{addr}: {e}"))?;
                let port = endpoint.local_addr().map_err(|e| e.to_string())?.port();
                tokio::spawn(accept_peers(
                    endpoint.clone(),
                    notes.clone(),
                    events.clone(),
                ));
                let direct = DirectEndpoint {
                    port,
                    fingerprint: identity.fingerprint().0,
                };
                (Some(endpoint), Some(direct))
            }
            None => (None, None),
        };
        let transfers = Transfers {
            tasks: HashMap::new(),
            waiting_peers: HashMap::new(),
            next_ticket: 1,
            coordinator: watch::channel(None).0,
            peer,
            peers: Arc::default(),
            events,
            notes,
        };
        Ok((transfers, endpoint))
    }

    /// Lends the coordinator connection to file streams (`None`: there is none now).
    pub(super) fn set_coordinator(&self, connection: Option<quinn::Connection>) {
        self.coordinator.send_replace(connection);
    }

    /// Lists an offer's files on the blocking pool; the result comes back as a note.
    pub(super) fn scan(&self, job: ScanJob) {
        let notes = self.notes.clone();
        tokio::task::spawn_blocking(move || {
            let result = super::scan::scan(&job);
            let _ = notes.send(Note::Scanned { job, result });
        });
    }

    /// Hashes a file on the blocking pool; the result comes back as a note.
    pub(super) fn hash(&self, job: HashJob) {
        let notes = self.notes.clone();
        tokio::task::spawn_blocking(move || {
            let path = job.path();
            let result = match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => Err(format!("{} is not a regular file", path.display())),
                Err(e) => Err(format!("{}: {e}", path.display())),
                Ok(_) => hash_file(path).map_err(|e| format!("{}: {e}", path.display())),
            };
            let _ = notes.send(Note::Hashed { job, result });
        });
    }

    /// Starts a transfer task, replacing one with the same key.
    pub(super) fn start(&mut self, job: TransferJob) {
        let key = job.key();
        let ctx = self.task_ctx();
        let task = match job {
            TransferJob::Deliver {
                offer,
                paths,
                token,
                peer,
            } => tokio::spawn(async move {
                let sources: Vec<Source> = paths
                    .into_iter()
                    .zip(&offer.files)
                    .map(|(path, entry)| Source {
                        path,
                        size: entry.size,
                    })
                    .collect();
                let result = retrying(|| deliver(&ctx, &offer, token, peer, &sources)).await;
                ctx.finished(key, offer.label(), offer.size, result);
            }),
            TransferJob::RelayReceive { id, token, plan } => tokio::spawn(async move {
                match relay_receive(&ctx, id, token, &plan).await {
                    // A broken relay attempt is not the end: the sender retries and asks again.
                    Err(e) if e.is_retryable() => {
                        tracing::debug!("relay receive of offer {id} broke: {e}")
                    }
                    result => {
                        let result = result
                            .map(|(path, moved)| Finished {
                                path: Some(path),
                                moved,
                                direct: Some(false),
                            })
                            .map_err(|e| e.to_string());
                        ctx.finished(key, plan.offer.label(), plan.offer.size, result);
                    }
                }
            }),
            TransferJob::Upload {
                ticket,
                path,
                name,
                size,
                ..
            } => tokio::spawn(async move {
                let result = match proof(&path, ticket.nonce).await {
                    Ok(proof) => {
                        retrying(|| upload(&ctx, key, (ticket, proof), &path, &name, size)).await
                    }
                    Err(e) => Err(e),
                };
                ctx.finished(key, name, size, result);
            }),
            TransferJob::Download { file, dir } => tokio::spawn(async move {
                let (name, size, result) = match download(&ctx, file, &dir).await {
                    Ok((meta, fin)) => (meta.name, meta.size, Ok(fin)),
                    Err((name, e)) => (name, 0, Err(e)),
                };
                ctx.finished(key, name, size, result);
            }),
        };
        if let Some(old) = self.tasks.insert(key, task.abort_handle()) {
            old.abort();
        }
    }

    /// Stops the task with this key, if one runs.
    pub(super) fn abort(&mut self, key: TransferKey) {
        if let Some(task) = self.tasks.remove(&key) {
            task.abort();
        }
    }

    /// Forgets a task that ended by itself.
    pub(super) fn ended(&mut self, key: TransferKey) {
        self.tasks.remove(&key);
    }

    /// Holds a direct stream's question until the core answers it; returns its ticket.
    pub(super) fn hold_peer(&mut self, reply: oneshot::Sender<Option<OfferPlan>>) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.waiting_peers.insert(ticket, reply);
        ticket
    }

    /// Gives a held direct stream the core's answer.
    pub(super) fn answer_peer(&mut self, ticket: u64, plan: Option<OfferPlan>) {
        if let Some(reply) = self.waiting_peers.remove(&ticket) {
            let _ = reply.send(plan);
        }
    }

    fn task_ctx(&self) -> TaskCtx {
        TaskCtx {
            events: self.events.clone(),
            notes: self.notes.clone(),
            coordinator: self.coordinator.subscribe(),
            peer: self.peer.clone(),
            peers: self.peers.clone(),
        }
    }
}

/// What a task needs from the engine.
#[derive(Clone)]
struct TaskCtx {
    events: Sender<Event>,
    notes: mpsc::UnboundedSender<Note>,
    coordinator: watch::Receiver<Option<quinn::Connection>>,
    peer: Option<quinn::Endpoint>,
    peers: Arc<Peers>,
}

impl TaskCtx {
    /// Tells the driver a transfer ended.
    fn finished(
        &self,
        key: TransferKey,
        name: String,
        size: u64,
        result: Result<Finished, String>,
    ) {
        let _ = self.notes.send(Note::Finished {
            key,
            name,
            size,
            result,
        });
    }

    /// The coordinator connection, waiting while there is none.
    async fn coordinator(&self) -> Result<quinn::Connection, TransferError> {
        let mut rx = self.coordinator.clone();
        let conn = rx
            .wait_for(|c| c.as_ref().is_some_and(|c| c.close_reason().is_none()))
            .await
            .map_err(|_| TransferError::Closed)?;
        conn.clone().ok_or(TransferError::Closed)
    }

    /// A progress reporter for one transfer.
    fn progress(&self, key: TransferKey, name: &str, total: u64) -> impl FnMut(u64) {
        let events = self.events.clone();
        let name = name.to_string();
        let start = Instant::now();
        let mut first: Option<u64> = None;
        let mut last = start - PROGRESS_EVERY;
        move |done| {
            let from = *first.get_or_insert(done);
            let now = Instant::now();
            if now.duration_since(last) < PROGRESS_EVERY && done < total {
                return;
            }
            last = now;
            let secs = now.duration_since(start).as_secs_f64();
            let rate = if secs > 0.0 {
                ((done - from) as f64 / secs) as u64
            } else {
                0
            };
            let eta_ms = (rate > 0).then(|| (total.saturating_sub(done)) * 1000 / rate);
            let _ = events.send(Event::TransferProgress {
                key,
                name: name.clone(),
                done,
                total,
                rate,
                eta_ms,
            });
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or runs out of tries.
async fn retrying<F, Fut>(mut attempt: F) -> Result<Finished, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Finished, TransferError>>,
{
    let mut n = 0;
    loop {
        n += 1;
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(e) if e.is_retryable() && n < ATTEMPTS => {
                tracing::info!("transfer attempt {n} broke ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(500 * u64::from(n))).await;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Sender side of an accepted offer: direct if possible, else through the relay.
async fn deliver(
    ctx: &TaskCtx,
    offer: &FileOffer,
    token: [u8; 32],
    peer: Option<PeerEndpoint>,
    sources: &[Source],
) -> Result<Finished, TransferError> {
    if let (Some(peer), Some(endpoint)) = (peer, &ctx.peer) {
        match tokio::time::timeout(DIRECT_TIMEOUT, ctx.peers.open(endpoint, peer)).await {
            // The lease keeps the direct connection open while its stream is used; the
            // connection stays for the next offer to this peer.
            Ok(Ok((lease, send, recv))) => {
                tracing::debug!(
                    "offer {} to {}: {} connection",
                    offer.id,
                    peer.addr,
                    if lease.reused { "kept" } else { "new" }
                );
                let open = StreamOpen::Peer {
                    offer: offer.id,
                    token,
                };
                let sent = send_offer(ctx, offer, sources, (send, recv), open, true).await;
                if sent.as_ref().is_err_and(TransferError::is_retryable) {
                    lease.invalidate();
                }
                return sent;
            }
            Ok(Err(e)) => tracing::info!(
                "direct connection to {} failed ({e}); using the relay",
                peer.addr
            ),
            Err(_) => tracing::info!(
                "direct connection to {} timed out; using the relay",
                peer.addr
            ),
        }
    }
    let conn = ctx.coordinator().await?;
    let streams = conn.open_bi().await.map_err(|_| TransferError::Closed)?;
    let open = StreamOpen::Relay {
        offer: offer.id,
        token,
        sender: true,
    };
    send_offer(ctx, offer, sources, streams, open, false).await
}

/// Says what the stream is for, then sends the offer's files as the sending end.
async fn send_offer(
    ctx: &TaskCtx,
    offer: &FileOffer,
    sources: &[Source],
    (mut send, mut recv): (quinn::SendStream, quinn::RecvStream),
    open: StreamOpen,
    direct: bool,
) -> Result<Finished, TransferError> {
    write_frame(&mut send, &open).await?;
    let progress = ctx.progress(TransferKey::Offer(offer.id), &offer.label(), offer.size);
    let sent = send_files(&mut send, &mut recv, sources, progress).await?;
    Ok(Finished {
        path: None,
        moved: sent.bytes,
        direct: Some(direct),
    })
}

/// Where a verified incoming file goes: a free, sanitized name in the download directory.
fn placer(
    dir: PathBuf,
    name: String,
) -> impl FnOnce(&Path) -> std::io::Result<PathBuf> + Send + 'static {
    move |partial| {
        let target = unique_path(&dir, &name).map_err(|e| std::io::Error::other(e.to_string()))?;
        std::fs::rename(partial, &target)?;
        Ok(target)
    }
}

async fn receive_into(
    ctx: &TaskCtx,
    key: TransferKey,
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    plan: &Plan,
) -> Result<(PathBuf, u64), TransferError> {
    let partial = plan.dir.join(partial_name(&plan.hash));
    let expected = Expected {
        name: &plan.name,
        size: plan.size,
        hash: plan.hash,
    };
    let got = receive_file(
        send,
        recv,
        &partial,
        expected,
        ctx.progress(key, &plan.name, plan.size),
        placer(plan.dir.clone(), plan.name.clone()),
    )
    .await?;
    Ok((got.path, got.bytes))
}

/// Receives an accepted offer's files on a stream whose opening was read (direct) or
/// written (relay); returns where they went and the bytes moved.
async fn receive_offer(
    ctx: &TaskCtx,
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    plan: &OfferPlan,
) -> Result<(PathBuf, u64), TransferError> {
    let offer = &plan.offer;
    let staging = plan.dir.join(staging_name(offer));
    let to = Destination {
        dir: &plan.dir,
        staging: &staging,
    };
    let progress = ctx.progress(TransferKey::Offer(offer.id), &offer.label(), offer.size);
    let got = receive_files(send, recv, &offer.files, to, progress).await?;
    // One file or folder: that; several: the folder they are in.
    let path = match got.placed.as_slice() {
        [one] => one.clone(),
        _ => plan.dir.clone(),
    };
    Ok((path, got.bytes))
}

async fn relay_receive(
    ctx: &TaskCtx,
    id: u64,
    token: [u8; 32],
    plan: &OfferPlan,
) -> Result<(PathBuf, u64), TransferError> {
    let conn = ctx.coordinator().await?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(|_| TransferError::Closed)?;
    write_frame(
        &mut send,
        &StreamOpen::Relay {
            offer: id,
            token,
            sender: false,
        },
    )
    .await?;
    receive_offer(ctx, &mut send, &mut recv, plan).await
}

/// The proof that we hold the file we share: its BLAKE3 keyed with the ticket's nonce
/// (hashed off the event loop).
async fn proof(path: &Path, nonce: [u8; 32]) -> Result<[u8; 32], String> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || proof_of(&p, &nonce))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Uploads a shared file: opens with the proof; the coordinator answers whether it needs the
/// bytes (it does not when it holds the same content already).
async fn upload(
    ctx: &TaskCtx,
    key: TransferKey,
    (ticket, proof): (UploadTicket, [u8; 32]),
    path: &Path,
    name: &str,
    size: u64,
) -> Result<Finished, TransferError> {
    let conn = ctx.coordinator().await?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(|_| TransferError::Closed)?;
    let open = StreamOpen::Upload {
        ticket: ticket.id,
        token: ticket.token,
        proof,
    };
    write_frame(&mut send, &open).await?;
    let start: UploadStart = read_frame(&mut recv).await?.ok_or(TransferError::Closed)?;
    if start.map_err(TransferError::Refused)? == UploadNeed::Nothing {
        let _ = send.finish();
        return Ok(Finished {
            path: None,
            moved: 0,
            direct: None,
        });
    }
    let sent = send_file(
        &mut send,
        &mut recv,
        path,
        name,
        size,
        ctx.progress(key, name, size),
    )
    .await?;
    Ok(Finished {
        path: None,
        moved: sent.bytes,
        direct: None,
    })
}

async fn download(
    ctx: &TaskCtx,
    file: u64,
    dir: &Path,
) -> Result<(FileMeta, Finished), (String, String)> {
    let unnamed = |e: String| (format!("file {file}"), e);
    std::fs::create_dir_all(dir)
        .map_err(|e| unnamed(format!("cannot create {}: {e}", dir.display())))?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result: Result<(FileMeta, Finished), TransferError> = async {
            let conn = ctx.coordinator().await?;
            let (mut send, mut recv) = conn.open_bi().await.map_err(|_| TransferError::Closed)?;
            write_frame(&mut send, &StreamOpen::Download { file }).await?;
            let meta: Result<FileMeta, ErrorInfo> =
                read_frame(&mut recv).await?.ok_or(TransferError::Closed)?;
            let meta = meta.map_err(TransferError::Refused)?;
            let plan = Plan {
                dir: dir.to_path_buf(),
                name: meta.name.clone(),
                size: meta.size,
                hash: meta.hash,
            };
            let (path, moved) = receive_into(
                ctx,
                TransferKey::Download(file),
                &mut send,
                &mut recv,
                &plan,
            )
            .await?;
            Ok((
                meta,
                Finished {
                    path: Some(path),
                    moved,
                    direct: None,
                },
            ))
        }
        .await;
        match result {
            Ok(done) => return Ok(done),
            Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            Err(e) => return Err(unnamed(e.to_string())),
        }
    }
}

/// Accepts direct connections from senders; each stream must present an accepted offer's
/// token, or it is refused before a single byte is written.
async fn accept_peers(
    endpoint: quinn::Endpoint,
    notes: mpsc::UnboundedSender<Note>,
    events: Sender<Event>,
) {
    while let Some(incoming) = endpoint.accept().await {
        let notes = notes.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let Ok(conn) = incoming.await else { return };
            while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                let ctx = TaskCtx {
                    events: events.clone(),
                    notes: notes.clone(),
                    coordinator: watch::channel(None).1,
                    peer: None,
                    peers: Arc::default(),
                };
                tokio::spawn(async move {
                    if let Err(e) = peer_stream(&ctx, &mut send, &mut recv).await {
                        tracing::debug!("direct transfer stream ended: {e}");
                    }
                });
            }
        });
    }
}

async fn peer_stream(
    ctx: &TaskCtx,
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
) -> Result<(), TransferError> {
    let open: StreamOpen = read_frame(recv).await?.ok_or(TransferError::Closed)?;
    let StreamOpen::Peer { offer, token } = open else {
        let refusal = ErrorInfo::new(
            ErrorCode::BadRequest,
            "only offer transfers are accepted here",
        );
        write_frame(send, &OfferReady::Err(refusal)).await?;
        return Ok(());
    };
    let (tx, rx) = oneshot::channel();
    let _ = ctx.notes.send(Note::Incoming {
        offer,
        token,
        reply: tx,
    });
    let Ok(Some(plan)) = rx.await else {
        let refusal = ErrorInfo::new(
            ErrorCode::PermissionDenied,
            format!("no accepted offer {offer} with that token"),
        );
        write_frame(send, &OfferReady::Err(refusal)).await?;
        let _ = send.finish();
        return Ok(());
    };
    let key = TransferKey::Offer(offer);
    let result = receive_offer(ctx, send, recv, &plan).await;
    match result {
        Err(e) if e.is_retryable() => Err(e),
        result => {
            let _ = ctx.notes.send(Note::Finished {
                key,
                name: plan.offer.label(),
                size: plan.offer.size,
                result: result
                    .map(|(path, moved)| Finished {
                        path: Some(path),
                        moved,
                        direct: Some(true),
                    })
                    .map_err(|e| e.to_string()),
            });
            Ok(())
        }
    }
}
