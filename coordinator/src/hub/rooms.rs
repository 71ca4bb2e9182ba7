//! Rooms and moderation: creating, joining and leaving rooms, topics, kicking and
//! promoting members, and the handover when an owner leaves (the store picks the
//! longest-standing member as the new owner; the hub tells the room). Each change is also a
//! system line in the room's history.
//!
//! Rooms with boundaries (the rest of this file's companion, `access`): private rooms,
//! invitations, bans, archiving and deleting. A private room is, to anyone who is neither a
//! member nor invited, exactly like a room that does not exist: every request naming it gets
//! the same "no such room" ([`Hub::visible_room`]).
use lanchat_net::protocol::{ErrorCode, Event, MembershipChange, MsgId, Reply, ServerFrame};
use lanchat_store as store;
use lanchat_store::{Conversation, Reads as _, StoreError, UserId};

use super::convert::{err, no_such_user, not_member, Refusal};
use super::delivery::check_writable;
use super::{encode, Hub};
use crate::outbox::Urgency;
use crate::rules;

impl Hub {
    pub(super) fn create_room(
        &mut self,
        me: UserId,
        name: &str,
        private: bool,
        full_history: bool,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let name = rules::normalize_room(name)?;
        let room = self
            .store
            .create_room_with(&name, me, private, full_history && private, now_ms)
            .map_err(|e| match e {
                StoreError::RoomExists => err(
                    ErrorCode::RoomExists,
                    format!("#{name} already exists; /join #{name} instead"),
                ),
                other => Refusal::from(other),
            })?;
        let who = self.username(me)?;
        self.membership_event(&room, &who, MembershipChange::Joined, &[me])?;
        let what = match (private, full_history) {
            (false, _) => String::new(),
            (true, false) => " (private: invited members read from when they join)".into(),
            (true, true) => " (private: invited members read its whole history)".into(),
        };
        self.acted(&room, me, format!("{who} created #{name}{what}"), now_ms)?;
        Ok(Reply::Summaries(vec![self.summary(me, &room)?]))
    }

    pub(super) fn join_room(
        &mut self,
        me: UserId,
        name: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let normalized = rules::normalize_room(name)?;
        let hidden = || {
            err(
                ErrorCode::NoSuchRoom,
                format!(
                    "there is no room #{normalized} you can join (a private room needs an \
                     invitation from its owner or an admin)"
                ),
            )
        };
        let room = self.room(name).map_err(|_| hidden())?;
        let member = self.store.membership(room.id, me)?.is_some();
        if !member && self.store.is_banned(room.id, me)? {
            return Err(err(
                ErrorCode::Banned,
                format!(
                    "you are banned from #{}; its owner or an admin can /unban you",
                    room.name
                ),
            ));
        }
        if room.private && !member && !self.store.is_invited(room.id, me)? {
            return Err(hidden());
        }
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
        let room = self.visible_room(me, name)?;
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
        let room = self.visible_room(me, name)?;
        check_writable(&room)?;
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
    pub(super) fn moderation(
        &mut self,
        me: UserId,
        room: &Conversation,
        target: &str,
        verb: &str,
    ) -> Result<(UserId, store::Role), Refusal> {
        self.role_for(me, room, store::Role::Admin, verb)?;
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
        let room = self.visible_room(me, name)?;
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
        let room = self.visible_room(me, name)?;
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

    /// A room by name, or a clear "no such room". Private rooms too: only for the paths
    /// that decide themselves who may know of one (joining); others use
    /// [`Hub::visible_room`].
    pub(super) fn room(&self, name: &str) -> Result<Conversation, Refusal> {
        let name = rules::normalize_room(name)?;
        self.store
            .room_by_name(&name)?
            .ok_or_else(|| err(ErrorCode::NoSuchRoom, format!("there is no room #{name}")))
    }

    /// A room by name as `me` may know of it: a private room they are neither a member of
    /// nor invited to is answered exactly like a room that does not exist.
    pub(super) fn visible_room(&self, me: UserId, name: &str) -> Result<Conversation, Refusal> {
        let room = self.room(name)?;
        if room.private
            && self.store.membership(room.id, me)?.is_none()
            && !self.store.is_invited(room.id, me)?
        {
            return Err(err(
                ErrorCode::NoSuchRoom,
                format!("there is no room #{}", room.name),
            ));
        }
        Ok(room)
    }

    /// Stores a system line in `room` and delivers it; returns its seq.
    pub(super) fn system(
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
    pub(super) fn acted(
        &mut self,
        room: &Conversation,
        actor: UserId,
        text: String,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        self.system(room, actor, text, now_ms).map(|_| ())
    }
}
