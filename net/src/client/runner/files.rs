//! The engine's file work: offers both ways, shares, downloads, and the tasks that move bytes.
//!
//! Each transfer is its own task on its own QUIC stream, so several run at once and chat never
//! waits for them. A sender tries the recipient directly first (pinning the recipient's
//! certificate and presenting the offer's one-time token) and falls back to the coordinator's
//! relay; a broken attempt is retried and resumes from what the receiver already holds.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use tokio::sync::{mpsc, oneshot, watch};

use super::{Link, Pending, Runner};
use crate::client::{Command, Event, TransferKey};
use crate::fingerprint::Pin;
use crate::framed::{read_frame, write_frame, FrameError};
use crate::protocol::{
    ConvRef, ErrorCode, ErrorInfo, FileOffer, MsgId, PeerEndpoint, Reply, Request, UploadTicket,
};
use crate::tls::{self, Identity};
use crate::transfer::names::unique_path;
use crate::transfer::partial_name;
use crate::transfer::stream::{hash_file, receive_file, send_file, Expected, TransferError};
use crate::transfer::wire::{FileMeta, Ready, StreamOpen};

/// How long a direct connection may take before the relay is used instead.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per transfer before giving up (each resumes the last).
const ATTEMPTS: u32 = 6;
/// Answers to offers we do not know (yet) kept at most.
const MAX_EARLY_ANSWERS: usize = 64;
/// Progress events at most this often per transfer.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Something a transfer task tells the runner.
pub(super) enum Note {
    /// A file to offer or share has been hashed.
    Hashed {
        job: Job,
        result: Result<([u8; 32], u64), String>,
    },
    /// A transfer ended.
    Finished {
        key: TransferKey,
        name: String,
        size: u64,
        result: Result<Finished, String>,
    },
    /// A peer connected with an offer id and token: may it deliver, and where to?
    Incoming {
        offer: u64,
        token: [u8; 32],
        reply: oneshot::Sender<Option<Plan>>,
    },
}

/// What to do once a file is hashed.
pub(super) enum Job {
    Offer {
        to: String,
        path: PathBuf,
        name: Option<String>,
    },
    Share {
        conv: ConvRef,
        path: PathBuf,
    },
}

/// A successful transfer.
pub(super) struct Finished {
    path: Option<PathBuf>,
    moved: u64,
    direct: Option<bool>,
}

/// Where an incoming file goes.
#[derive(Clone)]
pub(super) struct Plan {
    dir: PathBuf,
    name: String,
    size: u64,
    hash: [u8; 32],
}

/// A direct stream or relay request that came before our acceptance was confirmed.
pub(super) enum Early {
    Peer([u8; 32], oneshot::Sender<Option<Plan>>),
    Relay,
}

struct Outgoing {
    path: PathBuf,
    offer: FileOffer,
}

struct Incoming {
    offer: FileOffer,
    /// Download directory and token once accepted.
    accepted: Option<(PathBuf, [u8; 32])>,
}

/// File state of the engine.
pub(super) struct Files {
    outgoing: HashMap<u64, Outgoing>,
    incoming: HashMap<u64, Incoming>,
    /// Shares waiting for the coordinator's ShareReady, by message id.
    shares: HashMap<MsgId, (PathBuf, String, u64)>,
    /// Accept commands waiting for the coordinator's token, by offer id.
    accepting: HashMap<u64, PathBuf>,
    /// What arrived for an offer whose acceptance is still waiting for the coordinator's
    /// reply: the coordinator tells the sender at the same time as us, so the sender's direct
    /// connection or relay request can overtake our reply. Answered once the reply is in.
    early: HashMap<u64, Vec<Early>>,
    /// Answers to offers of ours whose `Offered` reply we have not read yet (the recipient
    /// can accept before that reply reaches us); handled once it comes.
    early_answers: HashMap<u64, crate::protocol::Event>,
    tasks: HashMap<TransferKey, tokio::task::AbortHandle>,
    /// Requests made while offline, sent after the next login.
    pub(super) deferred: Vec<(Request, Pending)>,
    pub(super) notes_tx: mpsc::UnboundedSender<Note>,
    pub(super) notes: mpsc::UnboundedReceiver<Note>,
    /// The coordinator connection for relay, upload and download streams.
    pub(super) coordinator: watch::Sender<Option<quinn::Connection>>,
    /// Our endpoint for direct transfers (also used to connect to peers).
    pub(super) peer: Option<(quinn::Endpoint, [u8; 32])>,
}

impl Files {
    /// Sets up the direct endpoint (if wanted) and its accept loop.
    pub(super) fn new(
        data_dir: &Path,
        listen: Option<std::net::SocketAddr>,
        events: Sender<Event>,
    ) -> Result<Files, String> {
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let peer = match listen {
            Some(addr) => {
                let identity =
                    Identity::load_or_create(&data_dir.join("peer")).map_err(|e| e.to_string())?;
                let config = tls::server_config(&identity).map_err(|e| e.to_string())?;
                let endpoint =
                    tls::endpoint(addr, Some(config)).map_err(|e| format!("{addr}: {e}"))?;
                tokio::spawn(accept_peers(endpoint.clone(), notes_tx.clone(), events));
                Some((endpoint, identity.fingerprint().0))
            }
            None => None,
        };
        Ok(Files {
            outgoing: HashMap::new(),
            incoming: HashMap::new(),
            shares: HashMap::new(),
            accepting: HashMap::new(),
            early: HashMap::new(),
            early_answers: HashMap::new(),
            tasks: HashMap::new(),
            deferred: Vec::new(),
            notes_tx,
            notes,
            coordinator: watch::channel(None).0,
            peer,
        })
    }

    /// The request that tells the coordinator where our direct endpoint is.
    pub(super) fn endpoint_request(&self) -> Option<Request> {
        let (endpoint, fingerprint) = self.peer.as_ref()?;
        let port = endpoint.local_addr().ok()?.port();
        Some(Request::SetPeerEndpoint {
            port,
            fingerprint: *fingerprint,
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

impl Runner {
    /// File commands with a session. Returns false if `command` is not a file command.
    pub(super) async fn file_command(
        &mut self,
        link: &mut Link,
        command: &Command,
    ) -> Result<bool, FrameError> {
        match command {
            Command::SendFile { to, path, name } => self.hash(Job::Offer {
                to: to.clone(),
                path: path.clone(),
                name: name.clone(),
            }),
            Command::ShareFile { conv, path } => self.hash(Job::Share {
                conv: conv.clone(),
                path: path.clone(),
            }),
            Command::AcceptOffer { id, dir } => {
                if !self.files.incoming.contains_key(id) {
                    self.error(
                        Some(ErrorCode::NoSuchFile),
                        format!("there is no file offer {id} for you"),
                        Some("accept"),
                    );
                } else {
                    self.files.accepting.insert(*id, dir.clone());
                    let request = Request::AnswerOffer {
                        id: *id,
                        accept: true,
                    };
                    self.request(link, request, Pending::Accept(*id)).await?;
                }
            }
            Command::DenyOffer(id) => {
                let request = Request::AnswerOffer {
                    id: *id,
                    accept: false,
                };
                self.request(link, request, Pending::Other("deny")).await?;
                self.files.incoming.remove(id);
            }
            Command::CancelOffer(id) => {
                self.request(
                    link,
                    Request::CancelOffer { id: *id },
                    Pending::Other("cancel"),
                )
                .await?;
            }
            Command::Download { file, dir } => {
                let key = TransferKey::Download(*file);
                let ctx = self.task_ctx();
                let (file, dir) = (*file, dir.clone());
                let task = tokio::spawn(async move {
                    let result = download(&ctx, file, &dir).await;
                    let (name, size, result) = match result {
                        Ok((meta, fin)) => (meta.name, meta.size, Ok(fin)),
                        Err((name, e)) => (name, 0, Err(e)),
                    };
                    let _ = ctx.notes.send(Note::Finished {
                        key,
                        name,
                        size,
                        result,
                    });
                });
                self.files.tasks.insert(key, task.abort_handle());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn hash(&mut self, job: Job) {
        let notes = self.files.notes_tx.clone();
        let path = match &job {
            Job::Offer { path, .. } | Job::Share { path, .. } => path.clone(),
        };
        tokio::task::spawn_blocking(move || {
            let result = match std::fs::metadata(&path) {
                Ok(m) if !m.is_file() => Err(format!("{} is not a regular file", path.display())),
                Err(e) => Err(format!("{}: {e}", path.display())),
                Ok(_) => hash_file(&path).map_err(|e| format!("{}: {e}", path.display())),
            };
            let _ = notes.send(Note::Hashed { job, result });
        });
    }

    fn task_ctx(&self) -> TaskCtx {
        TaskCtx {
            events: self.events.clone(),
            notes: self.files.notes_tx.clone(),
            coordinator: self.files.coordinator.subscribe(),
            peer: self.files.peer.as_ref().map(|(e, _)| e.clone()),
        }
    }

    /// Sends a request now if connected, otherwise after the next login.
    async fn request_or_defer(
        &mut self,
        link: Option<&mut Link>,
        request: Request,
        pending: Pending,
    ) -> Result<(), FrameError> {
        match link {
            Some(link) => self.request(link, request, pending).await,
            None => {
                self.files.deferred.push((request, pending));
                Ok(())
            }
        }
    }

    /// A note from a task (with or without a connection).
    pub(super) async fn on_note(
        &mut self,
        link: Option<&mut Link>,
        note: Note,
    ) -> Result<(), FrameError> {
        match note {
            Note::Hashed { job, result } => {
                let (hash, size) = match result {
                    Ok(v) => v,
                    Err(e) => {
                        let command = match job {
                            Job::Offer { .. } => "send",
                            Job::Share { .. } => "share",
                        };
                        self.error(None, e, Some(command));
                        return Ok(());
                    }
                };
                match job {
                    Job::Offer { to, path, name } => {
                        let name = name.unwrap_or_else(|| file_name(&path));
                        let request = Request::OfferFile {
                            to: to.trim_start_matches('@').to_string(),
                            name,
                            size,
                            hash,
                        };
                        self.request_or_defer(link, request, Pending::Offer(path))
                            .await?;
                    }
                    Job::Share { conv, path } => {
                        let name = file_name(&path);
                        let id = MsgId::random();
                        self.files.shares.insert(id, (path, name.clone(), size));
                        let request = Request::ShareFile {
                            conv,
                            id,
                            name,
                            size,
                            hash,
                        };
                        self.request_or_defer(link, request, Pending::Share(id))
                            .await?;
                    }
                }
            }
            Note::Finished {
                key,
                name,
                size,
                result,
            } => {
                self.files.tasks.remove(&key);
                match result {
                    Ok(fin) => {
                        if let TransferKey::Offer(id) = key {
                            self.files.outgoing.remove(&id);
                            if self.files.incoming.remove(&id).is_some() {
                                // We verified it: the offer and its token are spent.
                                let request = Request::OfferDone { id };
                                self.request_or_defer(link, request, Pending::Quiet).await?;
                            }
                        }
                        self.emit(Event::TransferDone {
                            key,
                            name,
                            path: fin.path,
                            size,
                            moved: fin.moved,
                            direct: fin.direct,
                        });
                    }
                    Err(reason) => self.emit(Event::TransferFailed { key, name, reason }),
                }
            }
            Note::Incoming {
                offer,
                token,
                reply,
            } => {
                if self.files.accepting.contains_key(&offer) {
                    let early = Early::Peer(token, reply);
                    self.files.early.entry(offer).or_default().push(early);
                } else {
                    let _ = reply.send(self.plan(offer, token));
                }
            }
        }
        Ok(())
    }

    /// Where the file of offer `id` goes, if we accepted it and `token` is its token.
    fn plan(&self, id: u64, token: [u8; 32]) -> Option<Plan> {
        let i = self.files.incoming.get(&id)?;
        match &i.accepted {
            Some((dir, expected)) if *expected == token => Some(Plan {
                dir: dir.clone(),
                name: i.offer.name.clone(),
                size: i.offer.size,
                hash: i.offer.hash,
            }),
            _ => None,
        }
    }

    /// Answers what arrived for offer `id` before its acceptance was confirmed (or refused).
    fn answer_early(&mut self, id: u64) {
        for early in self.files.early.remove(&id).unwrap_or_default() {
            match early {
                Early::Peer(token, reply) => {
                    let _ = reply.send(self.plan(id, token));
                }
                Early::Relay => self.spawn_relay_receive(id),
            }
        }
    }

    /// A reply to a file request. Returns false if it was not one.
    pub(super) fn file_reply(
        &mut self,
        pending: &Pending,
        result: &Result<Reply, ErrorInfo>,
    ) -> bool {
        match (pending, result) {
            (Pending::Offer(path), Ok(Reply::Offered(offer))) => {
                self.files.outgoing.insert(
                    offer.id,
                    Outgoing {
                        path: path.clone(),
                        offer: offer.clone(),
                    },
                );
                self.emit(Event::OfferSent(offer.clone()));
                if let Some(answer) = self.files.early_answers.remove(&offer.id) {
                    self.file_push(&answer);
                }
            }
            (Pending::Accept(id), Ok(Reply::Accepted { token, .. })) => {
                let Some(dir) = self.files.accepting.remove(id) else {
                    return true;
                };
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    self.error(
                        None,
                        format!("cannot create {}: {e}", dir.display()),
                        Some("accept"),
                    );
                }
                if let Some(incoming) = self.files.incoming.get_mut(id) {
                    incoming.accepted = Some((dir, *token));
                    self.emit(Event::Done {
                        command: "accept".into(),
                    });
                }
                self.answer_early(*id);
            }
            (Pending::Share(id), Ok(Reply::ShareReady { ticket })) => {
                let Some((path, name, size)) = self.files.shares.remove(id) else {
                    return true;
                };
                match ticket {
                    None => self.emit(Event::TransferDone {
                        key: TransferKey::Share(*id),
                        name,
                        path: None,
                        size,
                        moved: 0,
                        direct: None,
                    }),
                    Some(ticket) => self.spawn_upload(*id, *ticket, path, name, size),
                }
            }
            (Pending::Offer(_) | Pending::Accept(_) | Pending::Share(_), Err(e)) => {
                if let Pending::Share(id) = pending {
                    self.files.shares.remove(id);
                }
                if let Pending::Accept(id) = pending {
                    self.files.accepting.remove(id);
                    self.answer_early(*id);
                }
                let command = match pending {
                    Pending::Offer(_) => "send",
                    Pending::Accept(_) => "accept",
                    _ => "share",
                };
                self.error(Some(e.code), e.message.clone(), Some(command));
            }
            _ => return false,
        }
        true
    }

    fn spawn_upload(
        &mut self,
        id: MsgId,
        ticket: UploadTicket,
        path: PathBuf,
        name: String,
        size: u64,
    ) {
        let key = TransferKey::Share(id);
        let ctx = self.task_ctx();
        let task = tokio::spawn(async move {
            let result = retrying(|| upload(&ctx, key, ticket, &path, &name, size)).await;
            let _ = ctx.notes.send(Note::Finished {
                key,
                name,
                size,
                result,
            });
        });
        self.files.tasks.insert(key, task.abort_handle());
    }

    /// File events pushed by the coordinator.
    pub(super) fn file_push(&mut self, push: &crate::protocol::Event) -> bool {
        use crate::protocol::Event as Push;
        match push {
            Push::FileOffer(offer) => {
                // Re-sent at every login while pending: announce each offer once.
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    self.files.incoming.entry(offer.id)
                {
                    slot.insert(Incoming {
                        offer: offer.clone(),
                        accepted: None,
                    });
                    self.emit(Event::FileOffered(offer.clone()));
                }
            }
            Push::OfferAnswered { id, .. }
                if !self.files.outgoing.contains_key(id)
                    && self.files.early_answers.len() < MAX_EARLY_ANSWERS =>
            {
                self.files.early_answers.insert(*id, push.clone());
            }
            Push::OfferAnswered {
                id,
                accepted,
                token,
                peer,
            } => {
                self.emit(Event::OfferAnswered {
                    id: *id,
                    accepted: *accepted,
                });
                match (accepted, token) {
                    (true, Some(token)) => self.spawn_delivery(*id, *token, *peer),
                    _ => {
                        self.files.outgoing.remove(id);
                    }
                }
            }
            Push::OfferCancelled { id, by } => {
                let key = TransferKey::Offer(*id);
                if let Some(task) = self.files.tasks.remove(&key) {
                    task.abort();
                }
                self.files.outgoing.remove(id);
                if let Some(Incoming {
                    offer,
                    accepted: Some((dir, _)),
                }) = self.files.incoming.remove(id)
                {
                    // Cancelled means unwanted: do not keep the partial for a resume.
                    let _ = std::fs::remove_file(dir.join(partial_name(&offer.hash)));
                }
                self.emit(Event::OfferCancelled {
                    id: *id,
                    by: by.clone(),
                });
            }
            Push::RelayRequested { id } if self.files.accepting.contains_key(id) => {
                self.files.early.entry(*id).or_default().push(Early::Relay);
            }
            Push::RelayRequested { id } => self.spawn_relay_receive(*id),
            _ => return false,
        }
        true
    }

    fn spawn_delivery(&mut self, id: u64, token: [u8; 32], peer: Option<PeerEndpoint>) {
        let Some(out) = self.files.outgoing.get(&id) else {
            return;
        };
        let key = TransferKey::Offer(id);
        let (path, offer) = (out.path.clone(), out.offer.clone());
        let ctx = self.task_ctx();
        let task = tokio::spawn(async move {
            let result = retrying(|| deliver(&ctx, &offer, token, peer, &path)).await;
            let _ = ctx.notes.send(Note::Finished {
                key,
                name: offer.name.clone(),
                size: offer.size,
                result,
            });
        });
        if let Some(old) = self.files.tasks.insert(key, task.abort_handle()) {
            old.abort();
        }
    }

    fn spawn_relay_receive(&mut self, id: u64) {
        let Some(Incoming {
            offer,
            accepted: Some((dir, token)),
        }) = self.files.incoming.get(&id)
        else {
            return;
        };
        let key = TransferKey::Offer(id);
        let plan = Plan {
            dir: dir.clone(),
            name: offer.name.clone(),
            size: offer.size,
            hash: offer.hash,
        };
        let token = *token;
        let ctx = self.task_ctx();
        let task = tokio::spawn(async move {
            let result = relay_receive(&ctx, id, token, &plan).await;
            match result {
                // A broken relay attempt is not the end: the sender retries and asks again.
                Err(e) if e.is_retryable() => {
                    tracing::debug!("relay receive of offer {id} broke: {e}")
                }
                result => {
                    let result = result.map(|r| Finished {
                        path: Some(r.0),
                        moved: r.1,
                        direct: Some(false),
                    });
                    let _ = ctx.notes.send(Note::Finished {
                        key,
                        name: plan.name.clone(),
                        size: plan.size,
                        result: result.map_err(|e| e.to_string()),
                    });
                }
            }
        });
        self.files.tasks.insert(key, task.abort_handle());
    }
}

/// What a task needs from the engine.
#[derive(Clone)]
struct TaskCtx {
    events: Sender<Event>,
    notes: mpsc::UnboundedSender<Note>,
    coordinator: watch::Receiver<Option<quinn::Connection>>,
    peer: Option<quinn::Endpoint>,
}

impl TaskCtx {
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
    path: &Path,
) -> Result<Finished, TransferError> {
    if let (Some(peer), Some(endpoint)) = (peer, &ctx.peer) {
        match tokio::time::timeout(DIRECT_TIMEOUT, open_direct(endpoint, peer)).await {
            // `_conn` keeps the direct connection open while its stream is used.
            Ok(Ok((_conn, send, recv))) => {
                let open = StreamOpen::Peer {
                    offer: offer.id,
                    token,
                };
                return send_offer(ctx, offer, path, (send, recv), open, true).await;
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
    send_offer(ctx, offer, path, streams, open, false).await
}

/// Says what the stream is for, then sends the offer's file as the sending end.
async fn send_offer(
    ctx: &TaskCtx,
    offer: &FileOffer,
    path: &Path,
    (mut send, mut recv): (quinn::SendStream, quinn::RecvStream),
    open: StreamOpen,
    direct: bool,
) -> Result<Finished, TransferError> {
    write_frame(&mut send, &open).await?;
    let progress = ctx.progress(TransferKey::Offer(offer.id), &offer.name, offer.size);
    let sent = send_file(
        &mut send,
        &mut recv,
        path,
        &offer.name,
        offer.size,
        progress,
    )
    .await?;
    Ok(Finished {
        path: None,
        moved: sent.bytes,
        direct: Some(direct),
    })
}

async fn open_direct(
    endpoint: &quinn::Endpoint,
    peer: PeerEndpoint,
) -> Result<(quinn::Connection, quinn::SendStream, quinn::RecvStream), String> {
    let config = tls::client_config(Pin::exact(crate::fingerprint::Fingerprint(
        peer.fingerprint,
    )))
    .map_err(|e| e.to_string())?;
    let conn = endpoint
        .connect_with(config, peer.addr, "lanchat-peer")
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    let (send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
    Ok((conn, send, recv))
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

async fn relay_receive(
    ctx: &TaskCtx,
    id: u64,
    token: [u8; 32],
    plan: &Plan,
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
    receive_into(ctx, TransferKey::Offer(id), &mut send, &mut recv, plan).await
}

async fn upload(
    ctx: &TaskCtx,
    key: TransferKey,
    ticket: UploadTicket,
    path: &Path,
    name: &str,
    size: u64,
) -> Result<Finished, TransferError> {
    let conn = ctx.coordinator().await?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(|_| TransferError::Closed)?;
    write_frame(
        &mut send,
        &StreamOpen::Upload {
            ticket: ticket.id,
            token: ticket.token,
        },
    )
    .await?;
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
        write_frame(send, &Ready::Err(refusal)).await?;
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
        write_frame(send, &Ready::Err(refusal)).await?;
        let _ = send.finish();
        return Ok(());
    };
    let key = TransferKey::Offer(offer);
    let result = receive_into(ctx, key, send, recv, &plan).await;
    match result {
        Err(e) if e.is_retryable() => Err(e),
        result => {
            let _ = ctx.notes.send(Note::Finished {
                key,
                name: plan.name.clone(),
                size: plan.size,
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
