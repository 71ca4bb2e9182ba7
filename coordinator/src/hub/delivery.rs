//! Messages through the hub: a group commit of several sessions' sends, and the delivery of
//! frames to sessions' outboxes (one user, a room's members, everyone), gathered per session
//! while a commit is fanned out.
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use lanchat_net::protocol::{
    ConvRef, ErrorCode, Event, MembershipChange, MsgId, Reply, ServerFrame, MAX_TEXT_BYTES,
};
use lanchat_store as store;
use lanchat_store::{ConvId, ConvKind, Conversation, Reads as _, UserId};

use super::convert::{points_back, redact};
use super::mentions::{self, Mentions};
use super::{chat, err, unhandled, Hub, Outbox, PendingSend, Refusal, SessionId};
use crate::outbox::{PushError, Urgency};

/// What a group commit's fan-out gathers before queueing it.
///
/// Why: a room message goes to every member's session, and a commit holds several messages.
/// Queued one by one that is one queue operation (and often one wake-up of the writer task)
/// per member per message; gathered per session it is one per member per commit, and the
/// writer finds the commit's frames together, so they leave in the same packets. Membership
/// cannot change during one commit (the hub's lock is held), so each room's member list is
/// read once per commit.
#[derive(Debug, Default)]
pub(super) struct Batch {
    frames: HashMap<SessionId, (Vec<Bytes>, Urgency)>,
    members: HashMap<ConvId, Arc<[UserId]>>,
}

impl Hub {
    pub(super) fn send(
        &mut self,
        sid: SessionId,
        conv: ConvRef,
        id: MsgId,
        text: String,
        reply_to: Option<u64>,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let mut results = self.send_batch(
            vec![PendingSend {
                sid,
                conv,
                id,
                text,
                reply_to,
            }],
            now_ms,
        );
        results.pop().unwrap_or_else(|| Err(unhandled()))
    }

    /// Stores several sessions' messages with one commit (group commit) at time `now_ms`,
    /// then delivers them and answers each in order. Nothing is delivered or acknowledged before the commit; if
    /// the commit fails, every message of the batch is refused with the reason and nothing of
    /// it was stored.
    pub fn send_batch(
        &mut self,
        batch: Vec<PendingSend>,
        now_ms: i64,
    ) -> Vec<Result<Reply, Refusal>> {
        // Checks first (size, membership, the room not archived, what a reply answers), as a
        // lone message would get them; and who each mentions.
        let checked: Vec<_> = batch.iter().map(|p| self.check_send(p, now_ms)).collect();
        let new: Vec<store::NewMessage<'_>> = batch
            .iter()
            .zip(&checked)
            .filter_map(|(p, check)| {
                let (c, me, _, mentions) = check.as_ref().ok()?;
                Some(store::NewMessage {
                    conv: c.id,
                    sender: *me,
                    client_id: &p.id.0,
                    kind: store::MessageKind::Text,
                    text: &p.text,
                    now_ms,
                    reply_to: p.reply_to,
                    mentions: &mentions.users,
                    everyone: mentions.room,
                })
            })
            .collect();
        // A batch left over by a panic mid-commit is queued first, not lost.
        self.flush_batch();
        self.batch = Some(Batch::default());
        // One outcome per accepted message, in order; all the same refusal if the commit failed.
        let mut outcomes = match self.store.append_batch(&new) {
            Ok(outcomes) => outcomes
                .into_iter()
                .map(|o| o.map_err(Refusal::from))
                .collect(),
            Err(e) => vec![Err(Refusal::from(e)); new.len()],
        }
        .into_iter();
        let replies = batch
            .into_iter()
            .zip(checked)
            .map(|(p, check)| {
                let (c, _, conv, _) = check?;
                let appended = outcomes.next().unwrap_or_else(|| Err(unhandled()))?;
                // The store moved the sender's read cursor in the same commit.
                if !appended.duplicate {
                    self.fan_out(&c, appended.seq)?;
                }
                Ok(Reply::Sent {
                    conv,
                    id: p.id,
                    seq: appended.seq,
                    ts_ms: appended.ts_ms,
                })
            })
            .collect();
        self.flush_batch();
        replies
    }

    /// Queues what the fan-out of a group commit gathered, each session's frames at once.
    pub(super) fn flush_batch(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        let mut stalled = Vec::new();
        for (id, (frames, urgency)) in batch.frames {
            if let Some(s) = self.sessions.get(&id) {
                if let Err(PushError::Full) = s.link.outbox.try_push_all(frames, urgency) {
                    stalled.push(id);
                }
            }
        }
        self.drop_stalled(stalled);
    }

    /// The members of a conversation; read once per group commit.
    pub(super) fn members_of(&mut self, conv: ConvId) -> Result<Arc<[UserId]>, Refusal> {
        if let Some(members) = self.batch.as_ref().and_then(|b| b.members.get(&conv)) {
            return Ok(members.clone());
        }
        let members: Arc<[UserId]> = self.store.member_ids(conv)?.into();
        if let Some(batch) = &mut self.batch {
            batch.members.insert(conv, members.clone());
        }
        Ok(members)
    }

    /// Whether a session may post this message now; the conversation, the poster, the
    /// conversation's canonical name (the reply carries it, as the pushed message does), and
    /// who the message mentions. (How fast a user posts is paced by the connection, before a
    /// message gets here: see `throttle::Pacer`.)
    pub(super) fn check_send(
        &mut self,
        p: &PendingSend,
        now_ms: i64,
    ) -> Result<(Conversation, UserId, ConvRef, Mentions), Refusal> {
        let Some(session) = self.sessions.get(&p.sid) else {
            return Err(err(ErrorCode::NotAuthenticated, "session has ended"));
        };
        let me = session.user;
        check_text(&p.text)?;
        let (c, membership) = self.resolve(me, &p.conv, now_ms)?;
        check_writable(&c)?;
        if let Some(answered) = p.reply_to {
            self.check_target(&c, &membership, answered)?;
        }
        let conv = self.conv_ref_of(&c, me)?;
        let may_mention_room = c.kind == ConvKind::Room && membership.role >= store::Role::Admin;
        let mentions = mentions::resolve(&self.store, &p.text, me, may_mention_room)?;
        Ok((c, me, conv, mentions))
    }

    /// Delivers message `seq` of `c` to every online session of every member.
    pub(super) fn fan_out(&mut self, c: &Conversation, seq: u64) -> Result<(), Refusal> {
        let Some(stored) = self
            .store
            .messages_after(c.id, seq.saturating_sub(1), 1)?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let members = self.members_of(c.id)?;
        match c.kind {
            ConvKind::Room => {
                let message = chat(ConvRef::Room(c.name.clone()), stored);
                if c.private && !c.full_history && points_back(&message) {
                    // Members read from different points: each gets what they may see.
                    for (member, since) in self.store.member_floors(c.id)? {
                        let frame =
                            ServerFrame::Event(Event::Message(redact(message.clone(), since)));
                        if let Some(frame) = encode(&frame) {
                            self.push_encoded(member, &frame, Urgency::Bulk);
                        }
                    }
                    return Ok(());
                }
                let frame = ServerFrame::Event(Event::Message(message));
                let Some(frame) = encode(&frame) else {
                    return Ok(());
                };
                for &member in members.iter() {
                    self.push_encoded(member, &frame, Urgency::Bulk);
                }
            }
            ConvKind::Dm => {
                for &member in members.iter() {
                    let conv = self.conv_ref_of(c, member)?;
                    self.push(
                        member,
                        ServerFrame::Event(Event::Message(chat(conv, stored.clone()))),
                    );
                }
            }
        }
        Ok(())
    }

    /// Tells the room's members (and `also`, e.g. someone who just left) about a change.
    pub(super) fn membership_event(
        &mut self,
        room: &Conversation,
        user: &str,
        change: MembershipChange,
        also: &[UserId],
    ) -> Result<(), Refusal> {
        let frame = ServerFrame::Event(Event::Membership {
            room: room.name.clone(),
            user: user.to_string(),
            change,
        });
        let mut targets = self.store.member_ids(room.id)?;
        for user in also {
            if !targets.contains(user) {
                targets.push(*user);
            }
        }
        if let Some(frame) = encode(&frame) {
            for target in targets {
                self.push_encoded(target, &frame, Urgency::Bulk);
            }
        }
        Ok(())
    }

    /// Queues a frame meant for one user (a direct message, a file offer, their own state):
    /// written at once.
    pub(super) fn push(&mut self, user: UserId, frame: ServerFrame) {
        if let Some(frame) = encode(&frame) {
            self.push_encoded(user, &frame, Urgency::Urgent);
        }
    }

    /// Queues an encoded frame for every session of `user`; a session whose outbox is full is
    /// not reading and is dropped (its connection task then closes the connection).
    pub(super) fn push_encoded(&mut self, user: UserId, frame: &Bytes, urgency: Urgency) {
        let Some(ids) = self.by_user.get(&user) else {
            return;
        };
        if let Some(batch) = &mut self.batch {
            for id in ids {
                let held = batch
                    .frames
                    .entry(*id)
                    .or_insert_with(|| (Vec::new(), Urgency::Bulk));
                held.0.push(frame.clone());
                if urgency == Urgency::Urgent {
                    held.1 = Urgency::Urgent;
                }
            }
            return;
        }
        let mut stalled = Vec::new();
        for id in ids {
            if let Some(s) = self.sessions.get(id) {
                if let Err(PushError::Full) = s.link.outbox.try_push(frame.clone(), urgency) {
                    stalled.push(*id);
                }
            }
        }
        self.drop_stalled(stalled);
    }

    pub(super) fn drop_stalled(&mut self, stalled: Vec<SessionId>) {
        for id in stalled {
            tracing::warn!(session = id, "client is not reading; dropping its session");
            self.close_session(id);
        }
    }

    /// Queues the reply to a request on `outbox` (the connection of session `sid`); a
    /// connection with a full outbox is not reading and its session is dropped.
    pub fn reply(&mut self, sid: SessionId, outbox: &Outbox, frame: Bytes) {
        if let Err(PushError::Full) = outbox.try_push(frame, Urgency::Urgent) {
            self.drop_stalled(vec![sid]);
        }
    }

    pub(super) fn broadcast(&mut self, frame: ServerFrame) {
        let Some(frame) = encode(&frame) else {
            return;
        };
        let users: Vec<UserId> = self.by_user.keys().copied().collect();
        for user in users {
            self.push_encoded(user, &frame, Urgency::Bulk);
        }
    }
}

/// Refuses a text that is too long or empty.
pub(super) fn check_text(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(err(
            ErrorCode::TooLarge,
            format!(
                "message is {} bytes; the limit is {MAX_TEXT_BYTES} bytes",
                text.len()
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(err(ErrorCode::BadRequest, "message is empty"));
    }
    Ok(())
}

/// Refuses to write into an archived room.
pub(super) fn check_writable(c: &Conversation) -> Result<(), Refusal> {
    if c.archived {
        return Err(err(
            ErrorCode::PermissionDenied,
            format!(
                "#{} is archived: its history can be read, nothing can be added or changed",
                c.name
            ),
        ));
    }
    Ok(())
}

/// A frame as the outboxes carry it. The hub builds frames within the codec's limits; one
/// that is refused anyway is logged and not sent rather than taking the hub down.
pub(crate) fn encode(frame: &ServerFrame) -> Option<Bytes> {
    match lanchat_net::framed::encode_shared(frame) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::error!("cannot encode a pushed frame: {e}");
            None
        }
    }
}
