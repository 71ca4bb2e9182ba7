//! The core's file side: offers both ways, shares, downloads — which transfer tasks the driver
//! runs, and what each side knows about each offer.
//!
//! Each transfer is a task of the driver on its own QUIC stream, so several run at once and
//! chat never waits for them; an offer's files (one, several, a folder's tree) all move on
//! one stream. A sender tries the recipient directly first (pinning the recipient's
//! certificate and presenting the offer's one-time token) and falls back to the
//! coordinator's relay; a broken attempt is retried and resumes from what the receiver already
//! holds. The core decides which task runs and which incoming stream may deliver what.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lanchat_net::protocol::{
    ConvRef, ErrorCode, ErrorInfo, Event as Push, FileOffer, MsgId, OfferEntry, PeerEndpoint,
    Reply, Request, UploadTicket,
};
use lanchat_net::transfer::{manifest, staging_name};

use super::{Action, Core, Pending};
use crate::api::{Command, Event, TransferKey};

/// Answers to offers we do not know (yet) kept at most.
const MAX_EARLY_ANSWERS: usize = 64;

/// A file to hash before it is shared (an upload proves possession, which needs the hash
/// first; offers are not hashed beforehand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashJob {
    /// Share it into a conversation.
    Share {
        /// Where.
        conv: ConvRef,
        /// The file.
        path: PathBuf,
    },
}

impl HashJob {
    /// The file to hash.
    pub fn path(&self) -> &Path {
        match self {
            HashJob::Share { path, .. } => path,
        }
    }

    fn command(&self) -> &'static str {
        "share"
    }
}

/// Files and folders to list for an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanJob {
    /// Recipient's username.
    pub to: String,
    /// The files and folders (a folder sends its tree).
    pub paths: Vec<PathBuf>,
    /// Name to offer a single file under (default: its own name).
    pub name: Option<String>,
}

/// What a scan found: the offer's list and the local file of each entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scanned {
    /// The offer's entries, in the order they will be sent.
    pub files: Vec<OfferEntry>,
    /// The local file of each entry.
    pub sources: Vec<PathBuf>,
    /// What was left out, and why (symbolic links, devices, unreadable folders, names that
    /// cannot be offered).
    pub skipped: Vec<String>,
}

/// Where an accepted offer's files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferPlan {
    /// Download folder.
    pub dir: PathBuf,
    /// The offer (its list is sanitized when the files are placed).
    pub offer: FileOffer,
}

/// Where a downloaded shared file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Download folder.
    pub dir: PathBuf,
    /// Offered name (sanitized when the file is placed).
    pub name: String,
    /// Offered size.
    pub size: u64,
    /// Offered BLAKE3 hash, checked before the file is placed.
    pub hash: [u8; 32],
}

/// A transfer task for the driver to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferJob {
    /// Send the files of an accepted offer: directly to `peer` if given, else (or if that
    /// fails) through the coordinator's relay.
    Deliver {
        /// The offer.
        offer: FileOffer,
        /// The local file of each of its entries.
        paths: Vec<PathBuf>,
        /// The offer's one-time token.
        token: [u8; 32],
        /// The recipient's direct endpoint, if it has one.
        peer: Option<PeerEndpoint>,
    },
    /// Receive an accepted offer through the coordinator's relay.
    RelayReceive {
        /// Offer id.
        id: u64,
        /// The offer's one-time token.
        token: [u8; 32],
        /// Where the files go.
        plan: OfferPlan,
    },
    /// Upload a shared file to the coordinator: open with the proof of possession (the
    /// content's BLAKE3 keyed with the ticket's nonce), then send the bytes if asked.
    Upload {
        /// The file message's id.
        id: MsgId,
        /// The coordinator's ticket for the upload.
        ticket: UploadTicket,
        /// The file.
        path: PathBuf,
        /// Its name.
        name: String,
        /// Its size.
        size: u64,
    },
    /// Download a shared file.
    Download {
        /// Shared file id.
        file: u64,
        /// Download folder.
        dir: PathBuf,
    },
}

impl TransferJob {
    /// Which transfer this is.
    pub fn key(&self) -> TransferKey {
        match self {
            TransferJob::Deliver { offer, .. } => TransferKey::Offer(offer.id),
            TransferJob::RelayReceive { id, .. } => TransferKey::Offer(*id),
            TransferJob::Upload { id, .. } => TransferKey::Share(*id),
            TransferJob::Download { file, .. } => TransferKey::Download(*file),
        }
    }
}

/// A successful transfer, as its task reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Where the file was saved (receiving side).
    pub path: Option<PathBuf>,
    /// Bytes moved by the last attempt.
    pub moved: u64,
    /// For offers: direct or through the relay.
    pub direct: Option<bool>,
}

/// A direct stream or relay request that came before our acceptance was confirmed.
#[derive(Debug)]
enum Early {
    Peer { token: [u8; 32], ticket: u64 },
    Relay,
}

#[derive(Debug)]
struct Outgoing {
    paths: Vec<PathBuf>,
    offer: FileOffer,
}

#[derive(Debug)]
struct Incoming {
    offer: FileOffer,
    /// Download directory and token once accepted.
    accepted: Option<(PathBuf, [u8; 32])>,
}

/// What the core knows about files.
#[derive(Debug, Default)]
pub(super) struct Files {
    outgoing: HashMap<u64, Outgoing>,
    incoming: HashMap<u64, Incoming>,
    /// Shares waiting for the coordinator's ShareReady, by message id: path, name, size.
    shares: HashMap<MsgId, (PathBuf, String, u64)>,
    /// Accept commands waiting for the coordinator's token, by offer id.
    accepting: HashMap<u64, PathBuf>,
    /// What arrived for an offer whose acceptance is still waiting for the coordinator's
    /// reply: the coordinator tells the sender at the same time as us, so the sender's direct
    /// connection or relay request can overtake our reply. Answered once the reply is in.
    early: HashMap<u64, Vec<Early>>,
    /// Answers to offers of ours whose `Offered` reply we have not read yet (the recipient
    /// can accept before that reply reaches us); handled once it comes.
    early_answers: HashMap<u64, Push>,
    /// Requests made while offline, sent after the next login.
    pub(super) deferred: Vec<(Request, Pending)>,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

impl Core {
    /// A file to share has been hashed (or could not be read).
    pub fn handle_hashed(&mut self, job: HashJob, result: Result<([u8; 32], u64), String>) {
        let (hash, size) = match result {
            Ok(v) => v,
            Err(e) => {
                self.error(None, e, Some(job.command()));
                return;
            }
        };
        match job {
            HashJob::Share { conv, path } => {
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
                self.request_or_defer(request, Pending::Share(id));
            }
        }
        self.after();
    }

    /// The files of an offer have been listed (or could not be).
    pub fn handle_scanned(&mut self, job: ScanJob, result: Result<Scanned, String>) {
        let scanned = match result {
            Ok(v) => v,
            Err(e) => {
                self.error(None, e, Some("send"));
                self.after();
                return;
            }
        };
        if !scanned.skipped.is_empty() {
            let n = scanned.skipped.len();
            let shown: Vec<&str> = scanned.skipped.iter().take(5).map(String::as_str).collect();
            let more = if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            };
            let message = format!("not offered ({n}): {}{more}", shown.join("; "));
            self.error(None, message, Some("send"));
        }
        if let Err(e) = manifest::check(&scanned.files) {
            self.error(Some(ErrorCode::BadRequest), e.to_string(), Some("send"));
            self.after();
            return;
        }
        let request = Request::OfferFile {
            to: job.to.trim_start_matches('@').to_string(),
            files: scanned.files,
        };
        self.request_or_defer(request, Pending::Offer(scanned.sources));
        self.after();
    }

    /// A transfer task ended (a task that broke in a way its peer retries reports nothing).
    pub fn handle_transfer_finished(
        &mut self,
        key: TransferKey,
        name: String,
        size: u64,
        result: Result<Finished, String>,
    ) {
        match result {
            Ok(fin) => {
                if let TransferKey::Offer(id) = key {
                    self.files.outgoing.remove(&id);
                    if self.files.incoming.remove(&id).is_some() {
                        // We verified it: the offer and its token are spent.
                        let request = Request::OfferDone { id };
                        self.request_or_defer(request, Pending::Quiet("offer done"));
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
        self.after();
    }

    /// A peer connected to our direct endpoint with an offer id and token; the driver holds
    /// the stream as `ticket` until [`Action::AnswerPeer`] says whether it may deliver.
    pub fn handle_peer_stream(&mut self, ticket: u64, offer: u64, token: [u8; 32]) {
        if self.files.accepting.contains_key(&offer) {
            let early = Early::Peer { token, ticket };
            self.files.early.entry(offer).or_default().push(early);
        } else {
            let plan = self.plan(offer, token);
            self.actions.push_back(Action::AnswerPeer { ticket, plan });
        }
        self.after();
    }

    /// File commands with a session; any other command is given back.
    pub(super) fn file_command(&mut self, command: Command) -> Option<Command> {
        match command {
            Command::SendFile { to, path, name } => {
                let job = ScanJob {
                    to,
                    paths: vec![path],
                    name,
                };
                self.actions.push_back(Action::Scan(job));
            }
            Command::SendFiles { to, paths } => {
                let job = ScanJob {
                    to,
                    paths,
                    name: None,
                };
                self.actions.push_back(Action::Scan(job));
            }
            Command::ShareFile { conv, path } => {
                self.actions
                    .push_back(Action::Hash(HashJob::Share { conv, path }));
            }
            Command::AcceptOffer { id, dir } => {
                if !self.files.incoming.contains_key(&id) {
                    self.error(
                        Some(ErrorCode::NoSuchFile),
                        format!("there is no file offer {id} for you"),
                        Some("accept"),
                    );
                } else {
                    self.files.accepting.insert(id, dir);
                    let request = Request::AnswerOffer { id, accept: true };
                    self.request(request, Pending::Accept(id));
                }
            }
            Command::DenyOffer(id) => {
                let request = Request::AnswerOffer { id, accept: false };
                self.request(request, Pending::Command("deny"));
                self.files.incoming.remove(&id);
            }
            Command::CancelOffer(id) => {
                self.request(Request::CancelOffer { id }, Pending::Command("cancel"));
            }
            Command::Download { file, dir } => {
                self.actions
                    .push_back(Action::Transfer(TransferJob::Download { file, dir }));
            }
            other => return Some(other),
        }
        None
    }

    /// Where the files of offer `id` go, if we accepted it and `token` is its token.
    fn plan(&self, id: u64, token: [u8; 32]) -> Option<OfferPlan> {
        let i = self.files.incoming.get(&id)?;
        match &i.accepted {
            Some((dir, expected)) if *expected == token => Some(OfferPlan {
                dir: dir.clone(),
                offer: i.offer.clone(),
            }),
            _ => None,
        }
    }

    /// Answers what arrived for offer `id` before its acceptance was confirmed (or refused).
    fn answer_early(&mut self, id: u64) {
        for early in self.files.early.remove(&id).unwrap_or_default() {
            match early {
                Early::Peer { token, ticket } => {
                    let plan = self.plan(id, token);
                    self.actions.push_back(Action::AnswerPeer { ticket, plan });
                }
                Early::Relay => self.relay_receive(id),
            }
        }
    }

    /// A reply to a file request; any other is given back (`None`: handled).
    pub(super) fn file_reply(
        &mut self,
        pending: Pending,
        result: Result<Reply, ErrorInfo>,
    ) -> Option<(Pending, Result<Reply, ErrorInfo>)> {
        match (pending, result) {
            (Pending::Offer(paths), Ok(Reply::Offered(offer))) => {
                let outgoing = Outgoing {
                    paths,
                    offer: offer.clone(),
                };
                self.files.outgoing.insert(offer.id, outgoing);
                self.emit(Event::OfferSent(offer.clone()));
                if let Some(answer) = self.files.early_answers.remove(&offer.id) {
                    self.file_push(answer);
                }
            }
            (Pending::Accept(id), Ok(Reply::Accepted { token, .. })) => {
                // Answered already (or never asked): nothing more to do.
                let dir = self.files.accepting.remove(&id)?;
                self.actions.push_back(Action::CreateDir {
                    dir: dir.clone(),
                    command: "accept",
                });
                if let Some(incoming) = self.files.incoming.get_mut(&id) {
                    incoming.accepted = Some((dir, token));
                    self.emit(Event::Done {
                        command: "accept".into(),
                    });
                }
                self.answer_early(id);
            }
            (Pending::Share(id), Ok(Reply::ShareReady { ticket })) => {
                // Always an upload: the stream proves we hold the content, and the coordinator
                // then says whether it needs the bytes.
                let (path, name, size) = self.files.shares.remove(&id)?;
                let job = TransferJob::Upload {
                    id,
                    ticket,
                    path,
                    name,
                    size,
                };
                self.actions.push_back(Action::Transfer(job));
            }
            (pending @ (Pending::Offer(_) | Pending::Accept(_) | Pending::Share(_)), Err(e)) => {
                if let Pending::Share(id) = &pending {
                    self.files.shares.remove(id);
                }
                if let Pending::Accept(id) = &pending {
                    self.files.accepting.remove(id);
                    self.answer_early(*id);
                }
                self.error(Some(e.code), e.message, Some(&pending.command()));
            }
            other => return Some(other),
        }
        None
    }

    /// File events pushed by the coordinator.
    pub(super) fn file_push(&mut self, push: Push) {
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
                    self.emit(Event::FileOffered(offer));
                }
            }
            Push::OfferAnswered { id, .. }
                if !self.files.outgoing.contains_key(&id)
                    && self.files.early_answers.len() < MAX_EARLY_ANSWERS =>
            {
                self.files.early_answers.insert(id, push);
            }
            Push::OfferAnswered {
                id,
                accepted,
                token,
                peer,
            } => {
                self.emit(Event::OfferAnswered { id, accepted });
                match (accepted, token) {
                    (true, Some(token)) => self.deliver_offer(id, token, peer),
                    _ => {
                        self.files.outgoing.remove(&id);
                    }
                }
            }
            Push::OfferCancelled { id, by } => {
                self.actions
                    .push_back(Action::Abort(TransferKey::Offer(id)));
                self.files.outgoing.remove(&id);
                if let Some(Incoming {
                    offer,
                    accepted: Some((dir, _)),
                }) = self.files.incoming.remove(&id)
                {
                    // Cancelled means unwanted: do not keep the partial files for a resume.
                    self.actions
                        .push_back(Action::RemoveDir(dir.join(staging_name(&offer))));
                }
                self.emit(Event::OfferCancelled { id, by });
            }
            Push::RelayRequested { id } if self.files.accepting.contains_key(&id) => {
                self.files.early.entry(id).or_default().push(Early::Relay);
            }
            Push::RelayRequested { id } => self.relay_receive(id),
            _ => {}
        }
    }

    fn deliver_offer(&mut self, id: u64, token: [u8; 32], peer: Option<PeerEndpoint>) {
        let Some(out) = self.files.outgoing.get(&id) else {
            return;
        };
        let job = TransferJob::Deliver {
            offer: out.offer.clone(),
            paths: out.paths.clone(),
            token,
            peer,
        };
        self.actions.push_back(Action::Transfer(job));
    }

    fn relay_receive(&mut self, id: u64) {
        let Some(Incoming {
            offer,
            accepted: Some((dir, token)),
        }) = self.files.incoming.get(&id)
        else {
            return;
        };
        let job = TransferJob::RelayReceive {
            id,
            token: *token,
            plan: OfferPlan {
                dir: dir.clone(),
                offer: offer.clone(),
            },
        };
        self.actions.push_back(Action::Transfer(job));
    }
}
