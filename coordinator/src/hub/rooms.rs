//! Rooms and moderation: creating, joining and leaving rooms, topics, kicking and
//! promoting members, and the handover when an owner leaves (the store picks the
//! longest-standing member as the new owner; the hub tells the room). Each change is also a
//! system line in the room's history.
use lanchat_net::protocol::{ErrorCode, Event, MembershipChange, MsgId, Reply, ServerFrame};
use lanchat_store as store;
use lanchat_store::{Conversation, Reads as _, StoreError, UserId};

use super::convert::{err, no_such_user, not_member, Refusal};
use super::{encode, Hub};
use crate::outbox::Urgency;
use crate::rules;

impl Hub {
    pub(super) fn create_room(
        &mut self,
        me: UserId,
        name: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
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

    pub(super) fn join_room(
        &mut self,
        me: UserId,
        name: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.room(name)?;
        if self.store.join(room.id, me, now_ms)? {
            let who = self.username(me)?;
            self.membership_event(&room, &who, MembershipChange::Joined, &[])?;
            self.acted(&room, me, format!("{who} joined"), now_ms)?;
        }
        Ok(Reply::Summaries(vec![self.summary(me, &room)?]))
    }

    pub(super) fn leave_room(
        &mut self,
        me: UserId,
        name: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
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

    pub(super) fn set_topic(
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

    pub(super) fn kick(
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

    pub(super) fn promote(
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
    pub(super) fn room(&self, name: &str) -> Result<Conversation, Refusal> {
        let name = rules::normalize_room(name)?;
        self.store
            .room_by_name(&name)?
            .ok_or_else(|| err(ErrorCode::NoSuchRoom, format!("there is no room #{name}")))
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
