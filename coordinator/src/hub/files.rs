//! Files in the hub: person-to-person offers (consent, tokens, relay permission) and files
//! shared into conversations (size limit, deduplication, upload tickets, download rights).
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use lanchat_net::protocol::{
    ConvRef, ErrorCode, Event, FileOffer, MsgId, PeerEndpoint, Reply, ServerFrame, UploadTicket,
};
use lanchat_net::text::is_bidi_control;
use lanchat_net::transfer::wire::FileMeta;
use lanchat_store::{ConvId, UserId};

use super::{err, no_such_user, Hub, Refusal, SessionId};
use crate::blobs::Blobs;
use crate::outbox::Urgency;

/// Default limit for files shared into conversations, in MiB.
pub const DEFAULT_MAX_SHARE_MIB: u64 = 4096;
/// The same in bytes.
pub const DEFAULT_MAX_SHARE_BYTES: u64 = DEFAULT_MAX_SHARE_MIB * 1024 * 1024;
/// Longest file name accepted, in bytes.
const MAX_NAME_BYTES: usize = 255;

#[derive(Debug)]
struct Offer {
    offer: FileOffer,
    from: UserId,
    to: UserId,
    /// Token and the recipient session that accepted.
    accepted: Option<([u8; 32], SessionId)>,
}

/// An upload the coordinator agreed to take.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Who uploads.
    pub user: UserId,
    /// Into which conversation.
    pub conv: ConvId,
    /// The file message's client id.
    pub msg: MsgId,
    /// File name.
    pub name: String,
    /// Size.
    pub size: u64,
    /// BLAKE3.
    pub hash: [u8; 32],
    token: [u8; 32],
}

/// What a download needs.
#[derive(Debug, Clone)]
pub struct Download {
    /// Name, size, hash.
    pub meta: FileMeta,
    /// The blob on disk.
    pub path: PathBuf,
}

/// File state of the hub.
#[derive(Debug)]
pub struct Files {
    offers: HashMap<u64, Offer>,
    uploads: HashMap<u64, Upload>,
    next_id: u64,
    /// Where shared content lives; None: sharing is disabled.
    pub blobs: Option<Blobs>,
    /// Largest shared file accepted.
    pub max_share: u64,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            offers: HashMap::new(),
            uploads: HashMap::new(),
            next_id: 1,
            blobs: None,
            max_share: DEFAULT_MAX_SHARE_BYTES,
        }
    }
}

fn random_token() -> [u8; 32] {
    let mut t = [0u8; 32];
    rand::fill(&mut t);
    t
}

/// File names are shown beside the sender's name (offers, shared-file cards): no control
/// characters, and nothing that reorders what follows (`invoice<RLO>fdp.exe` would read as
/// `invoiceexe.pdf`). Receivers sanitize names again before writing anything.
fn check_name(name: &str) -> Result<(), Refusal> {
    if name.trim().is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(err(
            ErrorCode::BadRequest,
            format!("a file name must be 1 to {MAX_NAME_BYTES} bytes"),
        ));
    }
    if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(err(
            ErrorCode::BadRequest,
            "a file name may not contain control or direction-changing characters",
        ));
    }
    Ok(())
}

fn no_such_offer(id: u64) -> Refusal {
    err(
        ErrorCode::NoSuchFile,
        format!("there is no file offer {id} for you"),
    )
}

impl Hub {
    /// Enables shared files, kept in `blobs`, up to `max_share` bytes each.
    pub fn enable_sharing(&mut self, blobs: Blobs, max_share: u64) {
        self.files.blobs = Some(blobs);
        self.files.max_share = max_share;
    }

    /// Where shared content lives, if sharing is enabled.
    pub fn blobs(&self) -> Option<Blobs> {
        self.files.blobs.clone()
    }

    /// Where a session takes direct file connections: its client's address with `port`, and
    /// the certificate it will show.
    pub(super) fn set_peer_endpoint(
        &mut self,
        sid: SessionId,
        port: u16,
        fingerprint: [u8; 32],
    ) -> Result<Reply, Refusal> {
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.peer = Some(PeerEndpoint {
                addr: SocketAddr::new(s.link.remote.ip(), port),
                fingerprint,
            });
        }
        Ok(Reply::Ok)
    }

    fn next_file_id(&mut self) -> u64 {
        let id = self.files.next_id;
        self.files.next_id += 1;
        id
    }

    pub(super) fn offer_file(
        &mut self,
        me: UserId,
        to: &str,
        name: String,
        size: u64,
        hash: [u8; 32],
    ) -> Result<Reply, Refusal> {
        check_name(&name)?;
        let (recipient, _) = self
            .store
            .user_by_name(to.trim_start_matches('@'))?
            .ok_or_else(|| no_such_user(to))?;
        if recipient.id == me {
            return Err(err(
                ErrorCode::BadRequest,
                "you cannot send a file to yourself",
            ));
        }
        let id = self.next_file_id();
        let offer = FileOffer {
            id,
            from: self.username(me)?,
            to: recipient.username,
            name,
            size,
            hash,
        };
        self.files.offers.insert(
            id,
            Offer {
                offer: offer.clone(),
                from: me,
                to: recipient.id,
                accepted: None,
            },
        );
        // An offline recipient gets it at login (see push_pending_offers).
        self.push(
            recipient.id,
            ServerFrame::Event(Event::FileOffer(offer.clone())),
        );
        Ok(Reply::Offered(offer))
    }

    /// At login: every offer to this user that is not finished, so nothing waits unseen.
    pub(super) fn push_pending_offers(&mut self, user: UserId) {
        let pending: Vec<FileOffer> = self
            .files
            .offers
            .values()
            .filter(|o| o.to == user)
            .map(|o| o.offer.clone())
            .collect();
        for offer in pending {
            self.push(user, ServerFrame::Event(Event::FileOffer(offer)));
        }
    }

    pub(super) fn answer_offer(
        &mut self,
        sid: SessionId,
        me: UserId,
        id: u64,
        accept: bool,
    ) -> Result<Reply, Refusal> {
        let offer = self
            .files
            .offers
            .get_mut(&id)
            .filter(|o| o.to == me)
            .ok_or_else(|| no_such_offer(id))?;
        let from = offer.from;
        if !accept {
            self.files.offers.remove(&id);
            self.push(
                from,
                ServerFrame::Event(Event::OfferAnswered {
                    id,
                    accepted: false,
                    token: None,
                    peer: None,
                }),
            );
            return Ok(Reply::Ok);
        }
        // Accepting again (e.g. after the recipient restarted) issues a fresh token: the old
        // one stops working.
        let token = random_token();
        offer.accepted = Some((token, sid));
        let peer = self.sessions.get(&sid).and_then(|s| s.peer);
        self.push(
            from,
            ServerFrame::Event(Event::OfferAnswered {
                id,
                accepted: true,
                token: Some(token),
                peer,
            }),
        );
        Ok(Reply::Accepted { id, token })
    }

    pub(super) fn cancel_offer(&mut self, me: UserId, id: u64) -> Result<Reply, Refusal> {
        let offer = self
            .files
            .offers
            .get(&id)
            .filter(|o| o.to == me || o.from == me)
            .ok_or_else(|| no_such_offer(id))?;
        let (from, to) = (offer.from, offer.to);
        self.files.offers.remove(&id);
        let by = self.username(me)?;
        let frame = ServerFrame::Event(Event::OfferCancelled { id, by });
        self.push(from, frame.clone());
        self.push(to, frame);
        Ok(Reply::Ok)
    }

    /// A logged-out sender can no longer deliver: their offers are withdrawn.
    pub fn withdraw_offers_of(&mut self, user: UserId) {
        let ids: Vec<u64> = self
            .files
            .offers
            .values()
            .filter(|o| o.from == user)
            .map(|o| o.offer.id)
            .collect();
        for id in ids {
            let _ = self.cancel_offer(user, id);
        }
    }

    /// Checks a relay stream for an accepted offer ([`Hub::call_to_relay`] then tells the
    /// recipient to come).
    pub fn relay_allowed(
        &mut self,
        user: UserId,
        id: u64,
        token: &[u8; 32],
        sender: bool,
    ) -> Result<(), Refusal> {
        let offer = self
            .files
            .offers
            .get(&id)
            .ok_or_else(|| no_such_offer(id))?;
        let Some((expected, _)) = offer.accepted else {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("offer {id} is not accepted"),
            ));
        };
        let party = if sender { offer.from } else { offer.to };
        if party != user || expected != *token {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("this token does not open offer {id} for you"),
            ));
        }
        Ok(())
    }

    /// Asks the recipient of accepted offer `id` to come to the relay, where its sender now
    /// waits (called only once the sender's end is registered, so the recipient cannot arrive
    /// before it).
    pub fn call_to_relay(&mut self, id: u64) {
        let Some(offer) = self.files.offers.get(&id) else {
            return;
        };
        let Some((_, acceptor)) = offer.accepted else {
            return;
        };
        let frame = ServerFrame::Event(Event::RelayRequested { id });
        match self.sessions.get(&acceptor) {
            Some(s) => {
                if let Some(frame) = super::encode(&frame) {
                    let _ = s.link.outbox.try_push(frame, Urgency::Urgent);
                }
            }
            None => self.push(offer.to, frame),
        }
    }

    /// The recipient has the verified file: the offer is forgotten and its token no longer
    /// opens anything (nor is the offer shown again at the next login).
    pub(super) fn offer_done(&mut self, me: UserId, id: u64) -> Result<Reply, Refusal> {
        self.files
            .offers
            .get(&id)
            .filter(|o| o.to == me && o.accepted.is_some())
            .ok_or_else(|| no_such_offer(id))?;
        self.files.offers.remove(&id);
        Ok(Reply::Ok)
    }

    /// `file` is what the member says they share (name, size, hash) as message `msg` of
    /// `conv`.
    pub(super) fn share_file(
        &mut self,
        me: UserId,
        conv: ConvRef,
        msg: MsgId,
        file: FileMeta,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let FileMeta { name, size, hash } = file;
        check_name(&name)?;
        let Some(blobs) = self.files.blobs.clone() else {
            return Err(err(
                ErrorCode::PermissionDenied,
                "this coordinator does not keep shared files",
            ));
        };
        if size > self.files.max_share {
            return Err(err(
                ErrorCode::TooLarge,
                format!(
                    "{name} is {size} bytes; this coordinator keeps shared files up to {} bytes",
                    self.files.max_share
                ),
            ));
        }
        let (c, _) = self.resolve(me, &conv, now_ms)?;
        let upload = Upload {
            user: me,
            conv: c.id,
            msg,
            name,
            size,
            hash,
            token: random_token(),
        };
        if blobs.contains(&hash) {
            // The same content is stored once: post the message without an upload.
            self.post_share(&upload, now_ms)?;
            return Ok(Reply::ShareReady { ticket: None });
        }
        let id = self.next_file_id();
        let ticket = UploadTicket {
            id,
            token: upload.token,
        };
        self.files.uploads.insert(id, upload);
        Ok(Reply::ShareReady {
            ticket: Some(ticket),
        })
    }

    /// The upload a ticket stands for, if `user` holds it.
    pub fn upload(&self, user: UserId, ticket: u64, token: &[u8; 32]) -> Result<Upload, Refusal> {
        self.files
            .uploads
            .get(&ticket)
            .filter(|u| u.user == user && u.token == *token)
            .cloned()
            .ok_or_else(|| {
                err(
                    ErrorCode::PermissionDenied,
                    format!("upload ticket {ticket} is not yours"),
                )
            })
    }

    /// After the content arrived and verified: the file message goes into the conversation,
    /// posted at `now_ms`.
    pub fn finish_upload(&mut self, ticket: u64, now_ms: i64) -> Result<(), Refusal> {
        let Some(upload) = self.files.uploads.remove(&ticket) else {
            return Ok(());
        };
        self.post_share(&upload, now_ms)
    }

    fn post_share(&mut self, u: &Upload, now_ms: i64) -> Result<(), Refusal> {
        let (_, appended) = self
            .store
            .share_file(u.conv, u.user, &u.msg.0, &u.name, u.size, &u.hash, now_ms)?;
        if !appended.duplicate {
            if let Some(c) = self.store.conversation(u.conv)? {
                self.fan_out(&c, appended.seq)?;
            }
        }
        Ok(())
    }

    /// What `user` may download as shared file `id`.
    pub fn download(&self, user: UserId, id: u64) -> Result<Download, Refusal> {
        let missing = || {
            err(
                ErrorCode::NoSuchFile,
                format!("there is no shared file {id}"),
            )
        };
        let file = self
            .store
            .shared_file(i64::try_from(id).map_err(|_| missing())?)?
            .ok_or_else(missing)?;
        if self.store.membership(file.conv_id, user)?.is_none() {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("file {id} was shared in a conversation you are not in"),
            ));
        }
        let blobs = self.files.blobs.as_ref().ok_or_else(missing)?;
        Ok(Download {
            path: blobs.path(&file.hash),
            meta: FileMeta {
                name: file.name,
                size: file.size,
                hash: file.hash,
            },
        })
    }
}
