//! Rooms with boundaries: invitations, bans, private and public, archiving and deleting.
//!
//! Who may: the owner and admins invite (into a private room; into a public one any member
//! may, it only tells the person), ban and unban (only people whose role is below theirs);
//! only the owner makes a room private or public, archives it, or deletes it. `#general` is
//! everyone's: it cannot be private, archived, deleted, or banned from.
use lanchat_net::protocol::{ErrorCode, Event, MembershipChange, Reply, ServerFrame};
use lanchat_store as store;
use lanchat_store::{Conversation, Reads as _, UserId};

use super::convert::{err, no_such_user, not_member, Refusal};
use super::{encode, Hub};
use crate::outbox::Urgency;

impl Hub {
    /// `me`'s role in `room`, refusing unless it is at least `needed` (`what` says what for).
    pub(super) fn role_for(
        &self,
        me: UserId,
        room: &Conversation,
        needed: store::Role,
        what: &str,
    ) -> Result<store::Role, Refusal> {
        let mine = self
            .store
            .membership(room.id, me)?
            .ok_or_else(|| not_member(&room.name))?;
        if mine.role < needed {
            let who = if needed == store::Role::Owner {
                "the owner"
            } else {
                "the owner and admins"
            };
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("only {who} of #{} can {what}", room.name),
            ));
        }
        Ok(mine.role)
    }

    /// Refuses what cannot be done to `#general`.
    fn not_general(&self, room: &Conversation, what: &str) -> Result<(), Refusal> {
        if room.id == self.store.general()?.id {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("#general is everyone's: it cannot be {what}"),
            ));
        }
        Ok(())
    }

    pub(super) fn invite(
        &mut self,
        me: UserId,
        name: &str,
        target: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        let needed = if room.private {
            store::Role::Admin
        } else {
            store::Role::Member
        };
        self.role_for(me, &room, needed, "invite people")?;
        let (user, _) = self
            .store
            .user_by_name(target.trim_start_matches('@'))?
            .ok_or_else(|| no_such_user(target))?;
        if self.store.membership(room.id, user.id)?.is_some() {
            return Err(err(
                ErrorCode::BadRequest,
                format!("{} is a member of #{} already", user.username, room.name),
            ));
        }
        if self.store.is_banned(room.id, user.id)? {
            return Err(err(
                ErrorCode::Banned,
                format!(
                    "{} is banned from #{}; /unban them first",
                    user.username, room.name
                ),
            ));
        }
        self.store.invite(room.id, user.id, me, now_ms)?;
        let by = self.username(me)?;
        self.push(
            user.id,
            ServerFrame::Event(Event::Invited {
                room: room.name.clone(),
                by,
            }),
        );
        Ok(Reply::Ok)
    }

    pub(super) fn ban(
        &mut self,
        me: UserId,
        name: &str,
        target: &str,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        self.not_general(&room, "banned from")?;
        let my_role = self.role_for(me, &room, store::Role::Admin, "ban people")?;
        let (user, _) = self
            .store
            .user_by_name(target.trim_start_matches('@'))?
            .ok_or_else(|| no_such_user(target))?;
        if user.id == me {
            return Err(err(
                ErrorCode::BadRequest,
                "use /leave to leave a room yourself",
            ));
        }
        if let Some(theirs) = self.store.membership(room.id, user.id)? {
            if theirs.role >= my_role {
                return Err(err(
                    ErrorCode::PermissionDenied,
                    format!("you cannot ban {target}: their role is not below yours"),
                ));
            }
        }
        let was_member = self.store.ban(room.id, user.id, me, now_ms)?;
        let who = self.username(me)?;
        let whom = user.username;
        let change = MembershipChange::Banned { by: who.clone() };
        self.membership_event(&room, &whom, change, &[user.id])?;
        if was_member {
            self.acted(&room, me, format!("{whom} was banned by {who}"), now_ms)?;
        }
        Ok(Reply::Ok)
    }

    pub(super) fn unban(&mut self, me: UserId, name: &str, target: &str) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        self.role_for(me, &room, store::Role::Admin, "lift bans")?;
        let (user, _) = self
            .store
            .user_by_name(target.trim_start_matches('@'))?
            .ok_or_else(|| no_such_user(target))?;
        if !self.store.unban(room.id, user.id)? {
            return Err(err(
                ErrorCode::BadRequest,
                format!("{} is not banned from #{}", user.username, room.name),
            ));
        }
        Ok(Reply::Ok)
    }

    pub(super) fn set_private(
        &mut self,
        me: UserId,
        name: &str,
        private: bool,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        self.not_general(&room, "made private")?;
        let what = if private {
            "make it private"
        } else {
            "make it public"
        };
        self.role_for(me, &room, store::Role::Owner, what)?;
        if room.private == private {
            return Ok(Reply::Ok);
        }
        self.store.set_private(room.id, private)?;
        let who = self.username(me)?;
        self.room_changed(&room, private, room.archived, &who)?;
        let line = if private {
            format!(
                "{who} made #{} private: only those invited can join",
                room.name
            )
        } else {
            format!("{who} made #{} public: anyone can join", room.name)
        };
        self.acted(&room, me, line, now_ms)?;
        Ok(Reply::Ok)
    }

    pub(super) fn set_archived(
        &mut self,
        me: UserId,
        name: &str,
        archived: bool,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        self.not_general(&room, "archived")?;
        let what = if archived {
            "archive it"
        } else {
            "bring it back"
        };
        self.role_for(me, &room, store::Role::Owner, what)?;
        if room.archived == archived {
            return Ok(Reply::Ok);
        }
        self.store.set_archived(room.id, archived)?;
        let who = self.username(me)?;
        self.room_changed(&room, room.private, archived, &who)?;
        let line = if archived {
            format!("{who} archived #{}: it is read-only now", room.name)
        } else {
            format!("{who} brought #{} back from the archive", room.name)
        };
        self.acted(&room, me, line, now_ms)?;
        Ok(Reply::Ok)
    }

    pub(super) fn delete_room(&mut self, me: UserId, name: &str) -> Result<Reply, Refusal> {
        let room = self.visible_room(me, name)?;
        self.not_general(&room, "deleted")?;
        self.role_for(me, &room, store::Role::Owner, "delete it")?;
        let members = self.store.member_ids(room.id)?;
        let unshared = self.store.delete_room(room.id)?;
        for hash in unshared {
            self.forget_content(&hash);
        }
        self.forget_uploads_into(room.id);
        self.scrub_soon();
        let by = self.username(me)?;
        let frame = ServerFrame::Event(Event::RoomDeleted {
            room: room.name.clone(),
            by,
        });
        if let Some(frame) = encode(&frame) {
            for member in members {
                self.push_encoded(member, &frame, Urgency::Urgent);
            }
        }
        Ok(Reply::Ok)
    }

    /// Tells the room's members that it became private or public, archived or not.
    fn room_changed(
        &mut self,
        room: &Conversation,
        private: bool,
        archived: bool,
        by: &str,
    ) -> Result<(), Refusal> {
        let frame = ServerFrame::Event(Event::RoomChanged {
            room: room.name.clone(),
            private,
            archived,
            by: by.to_string(),
        });
        if let Some(frame) = encode(&frame) {
            for member in self.store.member_ids(room.id)? {
                self.push_encoded(member, &frame, Urgency::Bulk);
            }
        }
        Ok(())
    }
}
