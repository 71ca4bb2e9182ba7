//! Presence: a user is online while any of their sessions is not away, and everyone hears
//! when that changes, over QUIC only. (Coordinators used to multicast presence beacons too;
//! a beacon proves nothing about its sender, so clients no longer believe them, and sending
//! them only told everyone on the LAN who holds the realm passphrase, account or not, who comes
//! and goes.)
use lanchat_net::protocol::{Event, PresenceStatus, Reply, ServerFrame};
use lanchat_store::UserId;

use super::{Hub, Refusal, Session, SessionId};
use crate::names;

impl Hub {
    /// A user's new display name (see `names.rs` for what is refused): everyone hears it as
    /// a presence update.
    pub(super) fn set_display(&mut self, me: UserId, display: &str) -> Result<Reply, Refusal> {
        let display = names::display_for(&self.store, me, display)?;
        self.store.set_display(me, &display)?;
        let info = self.user_info(me)?;
        self.broadcast(ServerFrame::Event(Event::Presence(info)));
        Ok(Reply::Ok)
    }

    /// One session going away or coming back; the user is away once all their sessions are.
    pub(super) fn set_away(
        &mut self,
        sid: SessionId,
        me: UserId,
        away: bool,
    ) -> Result<Reply, Refusal> {
        let before = self.status_of(me);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.away = away;
        }
        self.presence_changed(me, before);
        Ok(Reply::Ok)
    }

    pub(super) fn status_of(&self, user: UserId) -> PresenceStatus {
        self.status_with(user, None)
    }

    /// Presence from the user's sessions, optionally counting one that was just removed.
    pub(super) fn status_with(
        &self,
        user: UserId,
        extra: Option<(&SessionId, &Session)>,
    ) -> PresenceStatus {
        let sessions = self
            .by_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| self.sessions.get(id))
            .chain(extra.map(|(_, s)| s));
        let mut any = false;
        for s in sessions {
            if !s.away {
                return PresenceStatus::Online;
            }
            any = true;
        }
        if any {
            PresenceStatus::Away
        } else {
            PresenceStatus::Offline
        }
    }

    pub(super) fn presence_changed(&mut self, user: UserId, before: PresenceStatus) {
        self.reads.note_presence(user, self.status_of(user));
        if self.shutting_down || self.status_of(user) == before {
            return;
        }
        let Ok(info) = self.user_info(user) else {
            return;
        };
        self.broadcast(ServerFrame::Event(Event::Presence(info)));
    }
}
