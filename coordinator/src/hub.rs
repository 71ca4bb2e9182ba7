//! The coordinator's rules: who may do what, what gets stored, and who hears about it.
//!
//! The hub owns the store and the table of online sessions. It never touches a socket: each
//! session is a bounded outbox of frames that the connection task drains. That keeps every rule
//! testable with plain channels, and a client that stops reading costs at most one full outbox
//! before it is dropped. Like the store, it never reads the clock: whoever calls it passes the
//! time (`now_ms`, milliseconds since the Unix epoch).
//!
//! What only reads (history pages, searches, lists, unread counts) is not answered here but by
//! [`crate::reads`], outside this hub's lock; the hub keeps that side's mirror of who is online
//! current.
//!
//! Layout:
//! - this file: sessions (open, close, tokens), the dispatch of a session's requests, and
//!   emptying the database's write-ahead log after a deletion (`scrub`);
//! - `rooms`: rooms and moderation (create, join, leave, topic, kick, promote, succession),
//!   and which rooms a user may know of;
//! - `access`: invitations, bans, private and public rooms, archiving and deleting;
//! - `delivery`: the group commit of messages and the fan-out of frames to outboxes;
//! - `changes`: edits, deletions and reactions;
//! - `mentions`: who a message names;
//! - `signals`: typing indicators, read receipts and the settings for them;
//! - `presence`: who is online or away, and display names;
//! - `offers`: person-to-person file offers, their tokens and bounds;
//! - `shares`: files shared into conversations, upload tickets and storage quotas;
//! - `convert`: store rows in the protocol's terms (as one reader may see them), and
//!   refusals.
use std::collections::HashMap;
use std::sync::Arc;

use lanchat_net::protocol::{
    ConvRef, ErrorCode, Event, MsgId, PresenceStatus, Reply, Request, ServerFrame,
};
use lanchat_net::transfer::wire::FileMeta;
use lanchat_store as store;
use lanchat_store::{Conversation, Reads as _, Store, UserId};
use tokio::sync::oneshot;

pub use crate::outbox::Outbox;
use crate::outbox::Urgency;
use crate::reads::{seq_arg, Reads};

mod access;
mod changes;
pub(crate) mod convert;
mod delivery;
pub mod mentions;
mod offers;
mod presence;
mod rooms;
mod shares;
pub mod signals;
pub use convert::Refusal;
use convert::{chat, not_member};
pub(crate) use convert::{err, no_such_user};
pub(crate) use delivery::encode;
use delivery::Batch;
pub use offers::{MAX_OFFERS_PER_RECIPIENT, MAX_OFFERS_PER_SENDER, OFFER_TTL_MS};
pub use shares::{
    Download, ShareLimits, Upload, DEFAULT_MAX_SHARE_BYTES, DEFAULT_MAX_SHARE_MIB,
    DEFAULT_TOTAL_QUOTA_MIB, DEFAULT_USER_QUOTA_MIB, MAX_UPLOADS_PER_USER, UPLOAD_TTL_MS,
};

/// Identifies one connection's login.
pub type SessionId = u64;
/// Frames one session may have queued before it counts as not reading and is dropped. With
/// the 16 KiB message limit this bounds a stalled session at about 16 MiB of queue (plus its
/// QUIC send window), while a burst of 1024 messages still reaches a slow but live client.
pub const OUTBOX_CAPACITY: usize = 1024;

/// A message a session asked to post, waiting for the next group commit.
#[derive(Debug)]
pub struct PendingSend {
    /// The posting session (the sender is its user, never a field of the request).
    pub sid: SessionId,
    /// Where to.
    pub conv: ConvRef,
    /// The client's id for it.
    pub id: MsgId,
    /// The text.
    pub text: String,
    /// For a reply: the seq it answers.
    pub reply_to: Option<u64>,
}

/// What the hub holds of one connection.
#[derive(Debug)]
pub struct SessionLink {
    /// Frames for the connection to write.
    pub outbox: Outbox,
    /// Dropped when the hub ends the session, which tells the connection task to close.
    pub alive: oneshot::Sender<()>,
    /// Where the client connects from (the IP part of its direct file endpoint).
    pub remote: std::net::SocketAddr,
}

#[derive(Debug)]
struct Session {
    user: UserId,
    username: String,
    token_hash: [u8; 32],
    away: bool,
    link: SessionLink,
    /// The client's direct file endpoint, if it has one.
    peer: Option<lanchat_net::protocol::PeerEndpoint>,
}

/// Coordinator state shared by all connections (behind one mutex).
#[derive(Debug)]
pub struct Hub {
    store: Store,
    /// The read side, which answers reads without this hub's lock.
    reads: Arc<Reads>,
    sessions: HashMap<SessionId, Session>,
    by_user: HashMap<UserId, Vec<SessionId>>,
    next_session: SessionId,
    offers: offers::Offers,
    shares: shares::Shares,
    /// The settings of the users online (typing indicators, read receipts).
    settings: HashMap<UserId, lanchat_store::Settings>,
    /// Typing notices passed on lately, and each user's allowance for them.
    typing: signals::Typing,
    /// A deletion or an edit left older text in the write-ahead log, and a reader kept the
    /// log from being emptied: try again (see [`Hub::scrub`]).
    scrub_pending: bool,
    /// Set while a group commit is fanned out (see [`Batch`]).
    batch: Option<Batch>,
    /// Set once the coordinator is shutting down (see [`Hub::announce_shutdown`]).
    shutting_down: bool,
}

impl Hub {
    /// A hub over `store`.
    pub fn new(store: Store) -> Self {
        let reads = Arc::new(Reads::new(store.read_pool()));
        Hub {
            store,
            reads,
            sessions: HashMap::new(),
            by_user: HashMap::new(),
            next_session: 1,
            offers: offers::Offers::default(),
            shares: shares::Shares::default(),
            settings: HashMap::new(),
            typing: signals::Typing::default(),
            scrub_pending: false,
            batch: None,
            shutting_down: false,
        }
    }

    /// Whether older text waits in the database's write-ahead log to be emptied out (the
    /// coordinator then calls [`Hub::scrub`] again a moment later).
    pub fn scrub_pending(&self) -> bool {
        self.scrub_pending
    }

    /// Empties the write-ahead log if something deleted or edited away may be in it; never
    /// waits for readers (it stays pending while one needs the log). Returns whether more
    /// remains to do.
    pub fn scrub(&mut self) -> bool {
        if self.scrub_pending {
            match self.store.scrub() {
                Ok(done) => self.scrub_pending = !done,
                Err(e) => tracing::warn!("cannot empty the write-ahead log: {e}"),
            }
        }
        self.scrub_pending
    }

    /// Something was deleted or edited away: empty the log now if possible, later if not.
    fn scrub_soon(&mut self) {
        self.scrub_pending = true;
        self.scrub();
    }

    /// The read side: answers reads from snapshots of this hub's store, without its lock.
    pub fn reads(&self) -> Arc<Reads> {
        self.reads.clone()
    }

    /// The store, for the login steps that run outside the hub (password checks).
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Number of online sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Opens a session for `user` whose token (hash) is already stored, and answers the login.
    pub fn open_session(
        &mut self,
        user: UserId,
        token: [u8; 32],
        link: SessionLink,
    ) -> Result<(SessionId, Reply), Refusal> {
        let record = self
            .store
            .user_by_id(user)?
            .ok_or_else(|| err(ErrorCode::NoSuchUser, "account no longer exists"))?;
        let before = self.status_of(user);
        let id = self.next_session;
        self.next_session += 1;
        self.sessions.insert(
            id,
            Session {
                user,
                username: record.username.clone(),
                token_hash: *blake3::hash(&token).as_bytes(),
                away: false,
                link,
                peer: None,
            },
        );
        self.by_user.entry(user).or_default().push(id);
        self.presence_changed(user, before);
        let settings = self.remember_settings(user)?;
        // Offers waiting for this user are read page by page (Request::PendingOffers), not
        // pushed here: thousands of them once filled the outbox and dropped every login.
        let reply = Reply::LoggedIn {
            user: self.user_info(user)?,
            settings: convert::settings_out(settings),
            token,
            conversations: self.summaries(user)?,
        };
        Ok((id, reply))
    }

    /// Ends a session (connection closed or logout).
    pub fn close_session(&mut self, id: SessionId) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        let before = if self.by_user.get(&session.user).map(Vec::len) == Some(1) {
            if session.away {
                PresenceStatus::Away
            } else {
                PresenceStatus::Online
            }
        } else {
            // Other sessions remain; recompute with this one still counted.
            self.status_with(session.user, Some((&id, &session)))
        };
        if let Some(list) = self.by_user.get_mut(&session.user) {
            list.retain(|s| *s != id);
            if list.is_empty() {
                self.by_user.remove(&session.user);
                self.settings.remove(&session.user);
                self.typing.forget(session.user);
            }
        }
        self.presence_changed(session.user, before);
    }

    /// Tells every session the coordinator is going away. From then on the sessions that end
    /// (as their connections close) are not announced as presence changes: nobody is going
    /// offline, the coordinator is, and its shutdown notice is the last thing clients hear.
    pub fn announce_shutdown(&mut self, reason: &str) {
        self.shutting_down = true;
        let Some(frame) = encode(&ServerFrame::Event(Event::Shutdown {
            reason: reason.to_string(),
        })) else {
            return;
        };
        for session in self.sessions.values() {
            let _ = session.link.outbox.try_push(frame.clone(), Urgency::Urgent);
        }
    }

    /// Runs one request of a logged-in session at time `now_ms`.
    pub fn handle(
        &mut self,
        sid: SessionId,
        request: Request,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let Some(session) = self.sessions.get(&sid) else {
            return Err(err(ErrorCode::NotAuthenticated, "session has ended"));
        };
        let me = session.user;
        match request {
            Request::Send {
                conv,
                id,
                text,
                reply_to,
            } => self.send(sid, conv, id, text, reply_to, now_ms),
            Request::Change {
                conv,
                id,
                target,
                change,
            } => self.change(me, conv, id, target, change, now_ms),
            Request::MarkRead { conv, seq } => {
                let (c, before) = self.resolve(me, &conv, now_ms)?;
                self.store.mark_read(c.id, me, seq_arg(seq))?;
                let after = self.store.membership(c.id, me)?.map_or(0, |m| m.read_seq);
                self.read_moved(me, &c, before.read_seq, after)?;
                self.push_conv_state(me, &c)?;
                Ok(Reply::Ok)
            }
            Request::SetMuted { conv, muted } => {
                let (c, _) = self.resolve(me, &conv, now_ms)?;
                self.store.set_muted(c.id, me, muted)?;
                self.push_conv_state(me, &c)?;
                Ok(Reply::Ok)
            }
            Request::CreateRoom {
                name,
                private,
                full_history,
            } => self.create_room(me, &name, private, full_history, now_ms),
            Request::Invite { name, user } => self.invite(me, &name, &user, now_ms),
            Request::Ban { name, user } => self.ban(me, &name, &user, now_ms),
            Request::Unban { name, user } => self.unban(me, &name, &user),
            Request::SetPrivate { name, private } => self.set_private(me, &name, private, now_ms),
            Request::SetArchived { name, archived } => {
                self.set_archived(me, &name, archived, now_ms)
            }
            Request::DeleteRoom { name } => self.delete_room(me, &name),
            Request::Typing { conv } => self.typing(me, &conv, now_ms),
            Request::SetSetting { setting, on } => self.set_setting(me, setting, on),
            Request::JoinRoom { name } => self.join_room(me, &name, now_ms),
            Request::LeaveRoom { name } => self.leave_room(me, &name, now_ms),
            Request::SetTopic { name, topic } => self.set_topic(me, &name, topic, now_ms),
            Request::Kick { name, user } => self.kick(me, &name, &user, now_ms),
            Request::Promote { name, user } => self.promote(me, &name, &user, now_ms),
            Request::SetDisplay { display } => self.set_display(me, &display),
            Request::SetAway { away } => self.set_away(sid, me, away),
            Request::Ping => Ok(Reply::Ok),
            Request::SetPeerEndpoint { port, fingerprint } => {
                self.set_peer_endpoint(sid, port, fingerprint)
            }
            Request::OfferFile { to, files } => self.offer_file(me, &to, files, now_ms),
            Request::PendingOffers { after } => self.pending_offers(me, after, now_ms),
            Request::AnswerOffer { id, accept } => self.answer_offer(sid, me, id, accept, now_ms),
            Request::CancelOffer { id } => self.cancel_offer(me, id),
            Request::OfferDone { id } => self.offer_done(me, id),
            Request::ShareFile {
                conv,
                id,
                name,
                size,
                hash,
            } => self.share_file(me, conv, id, FileMeta { name, size, hash }, now_ms),
            Request::Hello { .. }
            | Request::RegisterStart { .. }
            | Request::RegisterFinish { .. }
            | Request::LoginStart { .. }
            | Request::LoginFinish { .. }
            | Request::LegacyLogin { .. }
            | Request::Resume { .. } => Err(err(
                ErrorCode::BadRequest,
                "already logged in on this connection",
            )),
            Request::Logout | Request::PasswordStart { .. } | Request::PasswordFinish { .. } => {
                Err(err(
                    ErrorCode::BadRequest,
                    "handled by the connection, not the hub",
                ))
            }
            Request::After { .. }
            | Request::Before { .. }
            | Request::ListRooms { .. }
            | Request::Members { .. }
            | Request::Users { .. }
            | Request::Search { .. }
            | Request::Summaries => Err(err(
                ErrorCode::BadRequest,
                "reads are answered by the read side, not under the hub's lock",
            )),
        }
    }

    /// Forgets a session's token (logout).
    pub fn forget_token(&mut self, sid: SessionId) -> Result<(), Refusal> {
        if let Some(s) = self.sessions.get(&sid) {
            let hash = s.token_hash;
            self.store.delete_session(&hash)?;
        }
        Ok(())
    }

    /// A password change: the session's user gets its new OPAQUE `record`, and every other
    /// session's token stops working; this one's stays.
    pub fn reset_tokens(
        &mut self,
        sid: SessionId,
        record: &[u8],
        now_ms: i64,
    ) -> Result<(), Refusal> {
        let Some(s) = self.sessions.get(&sid) else {
            return Err(err(ErrorCode::NotAuthenticated, "session has ended"));
        };
        let (user, token_hash) = (s.user, s.token_hash);
        self.store.set_opaque_record(user, record)?;
        self.store.delete_sessions_of(user)?;
        self.store.create_session(user, &token_hash, now_ms)?;
        Ok(())
    }

    /// The user of a session.
    pub fn session_user(&self, sid: SessionId) -> Option<(UserId, String)> {
        self.sessions
            .get(&sid)
            .map(|s| (s.user, s.username.clone()))
    }

    /// The conversation `conv` names for user `me`, checking that `me` may use it (a DM's
    /// conversation is made on first use, at `now_ms`).
    fn resolve(
        &mut self,
        me: UserId,
        conv: &ConvRef,
        now_ms: i64,
    ) -> Result<(Conversation, store::Membership), Refusal> {
        let c = match conv {
            ConvRef::Room(name) => self.visible_room(me, name)?,
            ConvRef::Dm(user) => {
                let (peer, _) = self
                    .store
                    .user_by_name(user)?
                    .ok_or_else(|| no_such_user(user))?;
                self.dm_of(me, peer.id, now_ms)?
            }
        };
        let membership = self
            .store
            .membership(c.id, me)?
            .ok_or_else(|| not_member(&c.name))?;
        Ok((c, membership))
    }

    /// The direct conversation of `me` and `peer`, with both as members. Read first: making
    /// it (or adding back someone who left it) is a write transaction of its own, which
    /// every direct message paid for before its commit even when there was nothing to write
    /// (about 0.3 ms of statements and locking on the path every message waits on).
    fn dm_of(&mut self, me: UserId, peer: UserId, now_ms: i64) -> Result<Conversation, Refusal> {
        if let Some(c) = self.store.dm_between(me, peer)? {
            if self.store.membership(c.id, me)?.is_some()
                && self.store.membership(c.id, peer)?.is_some()
            {
                return Ok(c);
            }
        }
        Ok(self.store.dm_conversation(me, peer, now_ms)?)
    }

    fn push_conv_state(&mut self, user: UserId, c: &Conversation) -> Result<(), Refusal> {
        let summary = self.summary(user, c)?;
        self.push(user, ServerFrame::Event(Event::ConvState(summary)));
        Ok(())
    }
}

/// A message the batch has no outcome for (a bug, answered rather than left without a reply).
fn unhandled() -> Refusal {
    err(ErrorCode::Internal, "message was not handled")
}

#[cfg(test)]
mod tests;
