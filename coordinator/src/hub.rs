//! The coordinator's rules: who may do what, what gets stored, and who hears about it.
//!
//! The hub owns the store and the table of online sessions. It never touches a socket: each
//! session is a bounded outbox of frames that the connection task drains. That keeps every rule
//! testable with plain channels, and a client that stops reading costs at most one full outbox
//! before it is dropped. Like the store, it never reads the clock: whoever calls it passes the
//! time (`now_ms`, milliseconds since the Unix epoch).
//!
//! Layout: this file holds sessions, requests, rooms and moderation; `delivery` the group
//! commit of messages and the fan-out of frames to outboxes; `presence` who is online;
//! `files` offers and shared files.
use std::collections::HashMap;

use lanchat_net::protocol::{
    ChatMessage, ConvRef, ConvSummary, ErrorCode, ErrorInfo, Event, MemberInfo, MembershipChange,
    MessageKind, MsgId, PresenceStatus, Reply, Request, Role, RoomInfo, ServerFrame, UserInfo,
    MAX_HISTORY_PAGE,
};
use lanchat_net::transfer::wire::FileMeta;
use lanchat_store as store;
use lanchat_store::{ConvKind, Conversation, Store, StoreError, UserId};
use tokio::sync::{mpsc, oneshot};

pub use crate::outbox::Outbox;
use crate::outbox::Urgency;
use crate::rules;
use crate::throttle::TokenBucket;

mod delivery;
mod files;
mod presence;
pub(crate) use delivery::encode;
use delivery::Batch;
pub use files::{Download, Upload, DEFAULT_MAX_SHARE_BYTES, DEFAULT_MAX_SHARE_MIB};

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
    sends: TokenBucket,
    /// The client's direct file endpoint, if it has one.
    peer: Option<lanchat_net::protocol::PeerEndpoint>,
}

/// Coordinator state shared by all connections (behind one mutex).
#[derive(Debug)]
pub struct Hub {
    store: Store,
    sessions: HashMap<SessionId, Session>,
    by_user: HashMap<UserId, Vec<SessionId>>,
    next_session: SessionId,
    presence_out: Option<mpsc::UnboundedSender<UserInfo>>,
    files: files::Files,
    /// Messages per second one session may post.
    message_rate: u32,
    /// Set while a group commit is fanned out (see [`Batch`]).
    batch: Option<Batch>,
}

/// A refusal on its way to the user. Store failures become an internal error naming what
/// failed; the hub keeps going.
#[derive(Debug, Clone)]
pub struct Refusal(pub ErrorInfo);

impl From<ErrorInfo> for Refusal {
    fn from(e: ErrorInfo) -> Self {
        Refusal(e)
    }
}

impl From<Refusal> for ErrorInfo {
    fn from(r: Refusal) -> Self {
        r.0
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal(match e {
            StoreError::UsernameTaken => {
                ErrorInfo::new(ErrorCode::UsernameTaken, "that username is already taken")
            }
            StoreError::RoomExists => ErrorInfo::new(
                ErrorCode::RoomExists,
                "a room with that name already exists",
            ),
            StoreError::NotMember => ErrorInfo::new(ErrorCode::NotMember, "not a member"),
            other => {
                tracing::error!("storage error: {other}");
                ErrorInfo::new(ErrorCode::Internal, format!("storage error: {other}"))
            }
        })
    }
}

fn role_out(role: store::Role) -> Role {
    match role {
        store::Role::Member => Role::Member,
        store::Role::Admin => Role::Admin,
        store::Role::Owner => Role::Owner,
    }
}

pub(super) fn err(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal(ErrorInfo::new(code, message))
}

impl Hub {
    /// A hub over `store`. Presence changes are also sent to `presence_out` (the multicast
    /// announcer) when given.
    pub fn new(store: Store, presence_out: Option<mpsc::UnboundedSender<UserInfo>>) -> Self {
        Hub {
            store,
            sessions: HashMap::new(),
            by_user: HashMap::new(),
            next_session: 1,
            presence_out,
            files: files::Files::default(),
            message_rate: TokenBucket::MESSAGES_PER_SECOND,
            batch: None,
        }
    }

    /// Caps each session at `per_second` messages (bursts of three seconds' worth).
    pub fn set_message_rate(&mut self, per_second: u32) {
        self.message_rate = per_second.max(1);
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
                sends: TokenBucket::for_messages(self.message_rate),
                peer: None,
            },
        );
        self.by_user.entry(user).or_default().push(id);
        self.presence_changed(user, before);
        self.push_pending_offers(user);
        let reply = Reply::LoggedIn {
            user: self.user_info(user)?,
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
            }
        }
        self.presence_changed(session.user, before);
    }

    /// Tells every session the coordinator is going away.
    pub fn announce_shutdown(&mut self, reason: &str) {
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
            Request::Send { conv, id, text } => self.send(sid, conv, id, text, now_ms),
            Request::After { conv, after, limit } => {
                let (c, _) = self.resolve(me, &conv, now_ms)?;
                let conv = self.conv_ref_of(&c, me)?;
                let messages = self
                    .store
                    .messages_after(c.id, seq_arg(after), page(limit))?;
                Ok(self.page_reply(conv, messages))
            }
            Request::Before {
                conv,
                before,
                limit,
            } => {
                let (c, _) = self.resolve(me, &conv, now_ms)?;
                let conv = self.conv_ref_of(&c, me)?;
                let messages = self
                    .store
                    .messages_before(c.id, seq_arg(before), page(limit))?;
                Ok(self.page_reply(conv, messages))
            }
            Request::MarkRead { conv, seq } => {
                let (c, _) = self.resolve(me, &conv, now_ms)?;
                self.store.mark_read(c.id, me, seq_arg(seq))?;
                self.push_conv_state(me, &c)?;
                Ok(Reply::Ok)
            }
            Request::SetMuted { conv, muted } => {
                let (c, _) = self.resolve(me, &conv, now_ms)?;
                self.store.set_muted(c.id, me, muted)?;
                self.push_conv_state(me, &c)?;
                Ok(Reply::Ok)
            }
            Request::CreateRoom { name } => self.create_room(me, &name, now_ms),
            Request::JoinRoom { name } => self.join_room(me, &name, now_ms),
            Request::LeaveRoom { name } => self.leave_room(me, &name, now_ms),
            Request::ListRooms => Ok(Reply::Rooms(
                self.store
                    .list_rooms()?
                    .into_iter()
                    .map(|r| RoomInfo {
                        name: r.name,
                        topic: r.topic,
                        members: r.members,
                    })
                    .collect(),
            )),
            Request::Members { name } => {
                let room = self.room(&name)?;
                let members = self
                    .store
                    .members(room.id)?
                    .into_iter()
                    .map(|m| MemberInfo {
                        status: self.status_of(m.user_id),
                        username: m.username,
                        display: m.display,
                        role: role_out(m.role),
                    })
                    .collect();
                Ok(Reply::Members {
                    name: room.name,
                    members,
                })
            }
            Request::SetTopic { name, topic } => self.set_topic(me, &name, topic, now_ms),
            Request::Kick { name, user } => self.kick(me, &name, &user, now_ms),
            Request::Promote { name, user } => self.promote(me, &name, &user, now_ms),
            Request::Users => {
                let users = self.store.list_users()?;
                Ok(Reply::Users(
                    users
                        .into_iter()
                        .map(|u| UserInfo {
                            status: self.status_of(u.id),
                            username: u.username,
                            display: u.display,
                        })
                        .collect(),
                ))
            }
            Request::Search { query, limit } => {
                let found = self.store.search(me, &query, limit.min(200))?;
                let mut out = Vec::with_capacity(found.len());
                for m in found {
                    let conv = self.conv_ref(m.conv_id, me)?;
                    out.push(chat(conv, m));
                }
                Ok(Reply::SearchResults(out))
            }
            Request::SetDisplay { display } => {
                rules::check_display(&display)?;
                self.store.set_display(me, &display)?;
                let info = self.user_info(me)?;
                self.broadcast(ServerFrame::Event(Event::Presence(info.clone())));
                if let Some(out) = &self.presence_out {
                    let _ = out.send(info);
                }
                Ok(Reply::Ok)
            }
            Request::SetAway { away } => {
                let before = self.status_of(me);
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.away = away;
                }
                self.presence_changed(me, before);
                Ok(Reply::Ok)
            }
            Request::Summaries => Ok(Reply::Summaries(self.summaries(me)?)),
            Request::SetPeerEndpoint { port, fingerprint } => {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.peer = Some(lanchat_net::protocol::PeerEndpoint {
                        addr: std::net::SocketAddr::new(s.link.remote.ip(), port),
                        fingerprint,
                    });
                }
                Ok(Reply::Ok)
            }
            Request::OfferFile {
                to,
                name,
                size,
                hash,
            } => self.offer_file(me, &to, name, size, hash),
            Request::AnswerOffer { id, accept } => self.answer_offer(sid, me, id, accept),
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
            | Request::Register { .. }
            | Request::Login { .. }
            | Request::Resume { .. } => Err(err(
                ErrorCode::BadRequest,
                "already logged in on this connection",
            )),
            Request::Logout | Request::ChangePassword { .. } => Err(err(
                ErrorCode::BadRequest,
                "handled by the connection, not the hub",
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

    /// After a password change: every other session's token stops working; this one's stays.
    pub fn reset_tokens(&mut self, sid: SessionId, hash: &str, now_ms: i64) -> Result<(), Refusal> {
        let Some(s) = self.sessions.get(&sid) else {
            return Err(err(ErrorCode::NotAuthenticated, "session has ended"));
        };
        let (user, token_hash) = (s.user, s.token_hash);
        self.store.set_password_hash(user, hash)?;
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

    fn create_room(&mut self, me: UserId, name: &str, now_ms: i64) -> Result<Reply, Refusal> {
        let name = rules::normalize_room(name)?;
        let room = self
            .store
            .create_room(&name, me, now_ms)
            .map_err(|e| match e {
                StoreError::RoomExists => err(
                    ErrorCode::RoomExists,
                    format!("#{name} already exists; /join #{name} instead"),
                ),
                other => Refusal::from(other),
            })?;
        let who = self.username(me)?;
        self.membership_event(&room, &who, MembershipChange::Joined, &[me])?;
        self.acted(&room, me, format!("{who} created #{name}"), now_ms)?;
        Ok(Reply::Summaries(vec![self.summary(me, &room)?]))
    }

    fn join_room(&mut self, me: UserId, name: &str, now_ms: i64) -> Result<Reply, Refusal> {
        let room = self.room(name)?;
        if self.store.join(room.id, me, now_ms)? {
            let who = self.username(me)?;
            self.membership_event(&room, &who, MembershipChange::Joined, &[])?;
            self.acted(&room, me, format!("{who} joined"), now_ms)?;
        }
        Ok(Reply::Summaries(vec![self.summary(me, &room)?]))
    }

    fn leave_room(&mut self, me: UserId, name: &str, now_ms: i64) -> Result<Reply, Refusal> {
        let room = self.room(name)?;
        if room.id == self.store.general()?.id {
            return Err(err(
                ErrorCode::PermissionDenied,
                "everyone stays in #general; it cannot be left",
            ));
        }
        let who = self.username(me)?;
        let heir = self.store.leave(room.id, me).map_err(|e| match e {
            StoreError::NotMember => not_member(&room.name),
            other => other.into(),
        })?;
        self.membership_event(&room, &who, MembershipChange::Left, &[me])?;
        self.system(&room, me, format!("{who} left"), now_ms)?;
        if let Some(heir) = heir {
            let heir_name = self.username(heir)?;
            self.membership_event(&room, &heir_name, MembershipChange::Owner, &[])?;
            self.system(&room, heir, format!("{heir_name} is now the owner"), now_ms)?;
        }
        Ok(Reply::Ok)
    }

    fn set_topic(
        &mut self,
        me: UserId,
        name: &str,
        topic: String,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        rules::check_topic(&topic)?;
        let room = self.room(name)?;
        let mine = self
            .store
            .membership(room.id, me)?
            .ok_or_else(|| not_member(&room.name))?;
        let is_general = room.id == self.store.general()?.id;
        if !is_general && mine.role < store::Role::Admin {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!(
                    "only the owner and admins of #{} can set its topic",
                    room.name
                ),
            ));
        }
        self.store.set_topic(room.id, &topic)?;
        let who = self.username(me)?;
        let event = ServerFrame::Event(Event::Topic {
            room: room.name.clone(),
            topic: topic.clone(),
            by: who.clone(),
        });
        if let Some(event) = encode(&event) {
            for member in self.store.member_ids(room.id)? {
                self.push_encoded(member, &event, Urgency::Bulk);
            }
        }
        self.acted(&room, me, format!("{who} set the topic: {topic}"), now_ms)?;
        Ok(Reply::Ok)
    }

    /// Checks that `me` may moderate `target` in `room`, returning the target's id.
    fn moderation(
        &mut self,
        me: UserId,
        room: &Conversation,
        target: &str,
        verb: &str,
    ) -> Result<(UserId, store::Role), Refusal> {
        let mine = self
            .store
            .membership(room.id, me)?
            .ok_or_else(|| not_member(&room.name))?;
        if mine.role < store::Role::Admin {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("only the owner and admins of #{} can {verb}", room.name),
            ));
        }
        let (user, _) = self
            .store
            .user_by_name(target.trim_start_matches('@'))?
            .ok_or_else(|| no_such_user(target))?;
        let theirs = self.store.membership(room.id, user.id)?.ok_or_else(|| {
            err(
                ErrorCode::NotMember,
                format!("{} is not a member of #{}", user.username, room.name),
            )
        })?;
        Ok((user.id, theirs.role))
    }

    fn kick(
        &mut self,
        me: UserId,
        name: &str,
        target: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.room(name)?;
        if room.id == self.store.general()?.id {
            return Err(err(
                ErrorCode::PermissionDenied,
                "nobody can be removed from #general",
            ));
        }
        let (user, role) = self.moderation(me, &room, target, "kick members")?;
        let my_role = self
            .store
            .membership(room.id, me)?
            .map(|m| m.role)
            .unwrap_or(store::Role::Member);
        if user == me {
            return Err(err(
                ErrorCode::BadRequest,
                "use /leave to leave a room yourself",
            ));
        }
        if role >= my_role {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("you cannot kick {target}: their role is not below yours"),
            ));
        }
        let who = self.username(me)?;
        let whom = self.username(user)?;
        // No heir can be needed: the target is never the owner (their role is below ours).
        self.store.leave(room.id, user)?;
        self.membership_event(
            &room,
            &whom,
            MembershipChange::Kicked { by: who.clone() },
            &[user],
        )?;
        self.acted(&room, me, format!("{whom} was removed by {who}"), now_ms)?;
        Ok(Reply::Ok)
    }

    fn promote(
        &mut self,
        me: UserId,
        name: &str,
        target: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.room(name)?;
        let (user, role) = self.moderation(me, &room, target, "promote members")?;
        if role >= store::Role::Admin {
            return Err(err(
                ErrorCode::BadRequest,
                format!("{target} is already an admin of #{}", room.name),
            ));
        }
        self.store.set_role(room.id, user, store::Role::Admin)?;
        let who = self.username(me)?;
        let whom = self.username(user)?;
        self.membership_event(
            &room,
            &whom,
            MembershipChange::Promoted { by: who.clone() },
            &[],
        )?;
        self.acted(
            &room,
            me,
            format!("{whom} was made an admin by {who}"),
            now_ms,
        )?;
        Ok(Reply::Ok)
    }

    /// A room by name, or a clear "no such room".
    fn room(&self, name: &str) -> Result<Conversation, Refusal> {
        let name = rules::normalize_room(name)?;
        self.store
            .room_by_name(&name)?
            .ok_or_else(|| err(ErrorCode::NoSuchRoom, format!("there is no room #{name}")))
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
            ConvRef::Room(name) => self.room(name)?,
            ConvRef::Dm(user) => {
                let (peer, _) = self
                    .store
                    .user_by_name(user)?
                    .ok_or_else(|| no_such_user(user))?;
                self.store.dm_conversation(me, peer.id, now_ms)?
            }
        };
        let membership = self
            .store
            .membership(c.id, me)?
            .ok_or_else(|| not_member(&c.name))?;
        Ok((c, membership))
    }

    /// How user `viewer` names conversation `id`.
    fn conv_ref(&self, id: store::ConvId, viewer: UserId) -> Result<ConvRef, Refusal> {
        let c = self
            .store
            .conversation(id)?
            .ok_or_else(|| err(ErrorCode::Internal, "conversation vanished"))?;
        self.conv_ref_of(&c, viewer)
    }

    fn conv_ref_of(&self, c: &Conversation, viewer: UserId) -> Result<ConvRef, Refusal> {
        Ok(match c.kind {
            ConvKind::Room => ConvRef::Room(c.name.clone()),
            ConvKind::Dm => {
                let ids = self.store.member_ids(c.id)?;
                let peer = ids.iter().copied().find(|u| *u != viewer).unwrap_or(viewer);
                ConvRef::Dm(self.username(peer)?)
            }
        })
    }

    fn username(&self, user: UserId) -> Result<String, Refusal> {
        Ok(self
            .store
            .user_by_id(user)?
            .map(|u| u.username)
            .unwrap_or_else(|| format!("user{user}")))
    }

    fn user_info(&self, user: UserId) -> Result<UserInfo, Refusal> {
        let u = self
            .store
            .user_by_id(user)?
            .ok_or_else(|| err(ErrorCode::NoSuchUser, "account no longer exists"))?;
        Ok(UserInfo {
            username: u.username,
            display: u.display,
            status: self.status_of(user),
        })
    }

    fn summaries(&self, user: UserId) -> Result<Vec<ConvSummary>, Refusal> {
        let mut out = Vec::new();
        for s in self.store.conversations_of(user)? {
            let conv = match (&s.conv.kind, &s.peer) {
                (ConvKind::Dm, Some(peer)) => ConvRef::Dm(peer.clone()),
                _ => ConvRef::Room(s.conv.name.clone()),
            };
            out.push(ConvSummary {
                conv,
                topic: s.conv.topic,
                last_seq: s.conv.last_seq,
                read_seq: s.read_seq,
                muted: s.muted,
                role: role_out(s.role),
            });
        }
        Ok(out)
    }

    fn summary(&self, user: UserId, c: &Conversation) -> Result<ConvSummary, Refusal> {
        let conv = self.conv_ref_of(c, user)?;
        self.summaries(user)?
            .into_iter()
            .find(|s| s.conv == conv)
            .ok_or_else(|| not_member(&c.name))
    }

    fn push_conv_state(&mut self, user: UserId, c: &Conversation) -> Result<(), Refusal> {
        let summary = self.summary(user, c)?;
        self.push(user, ServerFrame::Event(Event::ConvState(summary)));
        Ok(())
    }

    fn page_reply(&self, conv: ConvRef, messages: Vec<store::StoredMessage>) -> Reply {
        Reply::Messages {
            messages: messages
                .into_iter()
                .map(|m| chat(conv.clone(), m))
                .collect(),
            conv,
        }
    }

    /// Stores a system line in `room` and delivers it; returns its seq.
    fn system(
        &mut self,
        room: &Conversation,
        actor: UserId,
        text: String,
        now_ms: i64,
    ) -> Result<u64, Refusal> {
        let appended = self.store.append_message(
            room.id,
            actor,
            &MsgId::random().0,
            store::MessageKind::System,
            &text,
            now_ms,
        )?;
        self.fan_out(room, appended.seq)?;
        Ok(appended.seq)
    }

    /// A system line about what `actor` (a member) just did: like their own messages, the
    /// actor has seen it (the store moves the sender's cursor), so it is not unread for them.
    fn acted(
        &mut self,
        room: &Conversation,
        actor: UserId,
        text: String,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        self.system(room, actor, text, now_ms).map(|_| ())
    }
}

fn page(limit: u32) -> u32 {
    limit.clamp(1, MAX_HISTORY_PAGE)
}

/// A seq bound from the client as the store can take it: SQLite integers are i64, and
/// `u64::MAX` ("the newest") would otherwise fail as a storage error.
fn seq_arg(seq: u64) -> u64 {
    seq.min(i64::MAX as u64)
}

/// A message the batch has no outcome for (a bug, answered rather than left without a reply).
fn unhandled() -> Refusal {
    err(ErrorCode::Internal, "message was not handled")
}

fn not_member(room: &str) -> Refusal {
    err(
        ErrorCode::NotMember,
        format!("you are not a member of #{room}; /join #{room} first"),
    )
}

pub(super) fn no_such_user(name: &str) -> Refusal {
    err(
        ErrorCode::NoSuchUser,
        format!("there is no user @{}", name.trim_start_matches('@')),
    )
}

fn chat(conv: ConvRef, m: store::StoredMessage) -> ChatMessage {
    ChatMessage {
        conv,
        seq: m.seq,
        id: MsgId(m.client_id),
        sender: m.sender,
        sender_display: m.sender_display,
        ts_ms: m.ts_ms,
        kind: match m.kind {
            store::MessageKind::Text => MessageKind::Text,
            store::MessageKind::System => MessageKind::System,
            store::MessageKind::File => MessageKind::File,
        },
        text: m.text,
        file: m.file.map(|f| lanchat_net::protocol::SharedFile {
            id: f.id as u64,
            name: f.name,
            size: f.size,
            hash: f.hash,
            uploader: f.uploader_name,
        }),
    }
}

#[cfg(test)]
mod tests;
