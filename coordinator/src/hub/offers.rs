//! Person-to-person file offers: consent, one-time tokens, relay permission, and the bounds
//! that keep one sender from burying a recipient.
//!
//! Bounds: a sender may have [`MAX_OFFERS_PER_SENDER`] offers waiting, a recipient
//! [`MAX_OFFERS_PER_RECIPIENT`]; their lists of files together at most
//! [`MAX_LIST_BYTES_PER_SENDER`] and [`MAX_LIST_BYTES_PER_RECIPIENT`] (an offer lists up to
//! 10,000 files: see `lanchat_net::transfer::manifest`); an offer lasts [`OFFER_TTL_MS`] from
//! when it was made (or accepted). A recipient reads what waits for them page by page ([`Request::PendingOffers`]),
//! never all at once: 6,000 offers pushed at login once filled the outbox and dropped every
//! login of the recipient.
//!
//! [`Request::PendingOffers`]: lanchat_net::protocol::Request::PendingOffers
use std::collections::BTreeMap;
use std::net::SocketAddr;

use lanchat_net::codec::MAX_FRAME_LEN;
use lanchat_net::protocol::{
    ErrorCode, Event, FileOffer, OfferEntry, PeerEndpoint, Reply, ServerFrame, MAX_LIST_PAGE,
};
use lanchat_net::text::is_bidi_control;
use lanchat_net::transfer::manifest;
use lanchat_store::{Reads as _, UserId};

use super::{err, no_such_user, Hub, Refusal, SessionId};
use crate::outbox::Urgency;

/// Offers one user may have waiting for an answer (or for their transfer) at once.
pub const MAX_OFFERS_PER_SENDER: usize = 50;
/// Offers that may wait for one recipient at once, from everyone together.
pub const MAX_OFFERS_PER_RECIPIENT: usize = 200;
/// Bytes of file lists (paths and sizes) one sender's waiting offers may hold together: six
/// offers of the largest kind, or thousands of ordinary ones.
pub const MAX_LIST_BYTES_PER_SENDER: usize = 4 * 1024 * 1024;
/// Bytes of file lists the offers waiting for one recipient may hold together.
pub const MAX_LIST_BYTES_PER_RECIPIENT: usize = 16 * 1024 * 1024;
/// A page of waiting offers carries at most this many bytes of offers (however many that
/// is, at least one), so it fits in a frame with room to spare.
const PAGE_BYTES: usize = MAX_FRAME_LEN - 128 * 1024;
/// How long an offer lasts, from when it was made and again from when it was accepted.
pub const OFFER_TTL_MS: i64 = 24 * 3600 * 1000;
/// Longest file name accepted, in bytes.
pub(super) const MAX_NAME_BYTES: usize = 255;

#[derive(Debug)]
struct Offer {
    offer: FileOffer,
    /// Its encoded size (what it costs in memory and in a page).
    bytes: usize,
    from: UserId,
    to: UserId,
    /// Token and the recipient session that accepted.
    accepted: Option<([u8; 32], SessionId)>,
    /// When it was made, or accepted: it expires [`OFFER_TTL_MS`] later.
    since_ms: i64,
}

/// The offers the hub holds, by id (ids grow, so a page is a range).
#[derive(Debug)]
pub(super) struct Offers {
    offers: BTreeMap<u64, Offer>,
    next_id: u64,
}

impl Default for Offers {
    fn default() -> Self {
        Offers {
            offers: BTreeMap::new(),
            next_id: 1,
        }
    }
}

pub(super) fn random_token() -> [u8; 32] {
    let mut t = [0u8; 32];
    rand::fill(&mut t);
    t
}

/// File names are shown beside the sender's name (offers, shared-file cards): no control
/// characters, and nothing that reorders what follows (`invoice<RLO>fdp.exe` would read as
/// `invoiceexe.pdf`). Receivers sanitize names again before writing anything.
pub(super) fn check_name(name: &str) -> Result<(), Refusal> {
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
        format!(
            "there is no file offer {id} for you (it may have been cancelled, or expired after \
             {} hours)",
            OFFER_TTL_MS / 3_600_000
        ),
    )
}

impl Offers {
    /// Forgets offers older than [`OFFER_TTL_MS`] at `now_ms` (a clock that stepped back
    /// expires nothing).
    fn expire(&mut self, now_ms: i64) {
        self.offers
            .retain(|_, o| now_ms.saturating_sub(o.since_ms) < OFFER_TTL_MS);
    }

    /// How many offers `pick` selects, and their bytes together.
    fn count(&self, mut pick: impl FnMut(&Offer) -> bool) -> (usize, usize) {
        self.offers
            .values()
            .filter(|o| pick(o))
            .fold((0, 0), |(n, bytes), o| (n + 1, bytes + o.bytes))
    }
}

impl Hub {
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

    pub(super) fn offer_file(
        &mut self,
        me: UserId,
        to: &str,
        files: Vec<OfferEntry>,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let size =
            manifest::check(&files).map_err(|e| err(ErrorCode::BadRequest, e.to_string()))?;
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
        self.offers.expire(now_ms);
        let bytes = files
            .iter()
            .map(|f| f.path.iter().map(|p| p.len() + 2).sum::<usize>() + 11)
            .sum::<usize>();
        let (mine, my_bytes) = self.offers.count(|o| o.from == me);
        if mine >= MAX_OFFERS_PER_SENDER {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "you have {MAX_OFFERS_PER_SENDER} file offers waiting already; cancel some \
                     (/cancel ID) or wait until they are answered"
                ),
            ));
        }
        if my_bytes + bytes > MAX_LIST_BYTES_PER_SENDER {
            return Err(err(
                ErrorCode::QuotaExceeded,
                "your waiting file offers list too many files already; cancel some (/cancel ID) \
                 or wait until they are answered",
            ));
        }
        let (theirs, their_bytes) = self.offers.count(|o| o.to == recipient.id);
        if theirs >= MAX_OFFERS_PER_RECIPIENT {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "{} has {MAX_OFFERS_PER_RECIPIENT} file offers waiting already; try again \
                     once they have answered some",
                    recipient.username
                ),
            ));
        }
        if their_bytes + bytes > MAX_LIST_BYTES_PER_RECIPIENT {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "{} has offers of too many files waiting already; try again once they have \
                     answered some",
                    recipient.username
                ),
            ));
        }
        let id = self.offers.next_id;
        self.offers.next_id += 1;
        let offer = FileOffer {
            id,
            from: self.username(me)?,
            to: recipient.username,
            files,
            size,
        };
        self.offers.offers.insert(
            id,
            Offer {
                offer: offer.clone(),
                bytes,
                from: me,
                to: recipient.id,
                accepted: None,
                since_ms: now_ms,
            },
        );
        // An offline recipient reads it after login (Request::PendingOffers).
        self.push(
            recipient.id,
            ServerFrame::Event(Event::FileOffer(offer.clone())),
        );
        Ok(Reply::Offered(offer))
    }

    /// One page of the offers waiting for `me`, after offer `after`.
    pub(super) fn pending_offers(
        &mut self,
        me: UserId,
        after: u64,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        self.offers.expire(now_ms);
        let page = MAX_LIST_PAGE as usize;
        // At most a page of offers, and at most PAGE_BYTES of them: an offer lists up to
        // 10,000 files, so 200 of the largest would not fit in a frame.
        let mut offers: Vec<FileOffer> = Vec::new();
        let mut bytes = 0;
        let mut more = false;
        for o in self
            .offers
            .offers
            .range(after.saturating_add(1)..)
            .map(|(_, o)| o)
            .filter(|o| o.to == me)
        {
            if offers.len() == page || (!offers.is_empty() && bytes + o.bytes > PAGE_BYTES) {
                more = true;
                break;
            }
            bytes += o.bytes;
            offers.push(o.offer.clone());
        }
        // A full page says where to go on (as before pages had a byte bound too).
        let next = (more || offers.len() == page)
            .then(|| offers.last().map(|o| o.id))
            .flatten();
        Ok(Reply::Offers { offers, next })
    }

    pub(super) fn answer_offer(
        &mut self,
        sid: SessionId,
        me: UserId,
        id: u64,
        accept: bool,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        self.offers.expire(now_ms);
        let offer = self
            .offers
            .offers
            .get_mut(&id)
            .filter(|o| o.to == me)
            .ok_or_else(|| no_such_offer(id))?;
        let from = offer.from;
        if !accept {
            self.offers.offers.remove(&id);
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
        offer.since_ms = now_ms;
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
            .offers
            .offers
            .get(&id)
            .filter(|o| o.to == me || o.from == me)
            .ok_or_else(|| no_such_offer(id))?;
        let (from, to) = (offer.from, offer.to);
        self.offers.offers.remove(&id);
        let by = self.username(me)?;
        let frame = ServerFrame::Event(Event::OfferCancelled { id, by });
        self.push(from, frame.clone());
        self.push(to, frame);
        Ok(Reply::Ok)
    }

    /// A logged-out sender can no longer deliver: their offers are withdrawn.
    pub fn withdraw_offers_of(&mut self, user: UserId) {
        let ids: Vec<u64> = self
            .offers
            .offers
            .values()
            .filter(|o| o.from == user)
            .map(|o| o.offer.id)
            .collect();
        for id in ids {
            let _ = self.cancel_offer(user, id);
        }
    }

    /// Checks a relay stream for an accepted offer at `now_ms` ([`Hub::call_to_relay`] then
    /// tells the recipient to come).
    pub fn relay_allowed(
        &mut self,
        user: UserId,
        id: u64,
        token: &[u8; 32],
        sender: bool,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        self.offers.expire(now_ms);
        let offer = self
            .offers
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
        let Some(offer) = self.offers.offers.get(&id) else {
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
        self.offers
            .offers
            .get(&id)
            .filter(|o| o.to == me && o.accepted.is_some())
            .ok_or_else(|| no_such_offer(id))?;
        self.offers.offers.remove(&id);
        Ok(Reply::Ok)
    }
}
