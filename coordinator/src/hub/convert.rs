//! The hub's words in the protocol's terms: store rows become the protocol's `ChatMessage`,
//! `ConvSummary`, `MemberInfo`, `RoomInfo` and `UserInfo` (as one user sees them: a DM is named
//! by its other member), and store failures become refusals with a reason the user can read.
use lanchat_net::protocol::{
    Change, ChangeKind, ChatMessage, ConvRef, ConvSummary, ErrorCode, ErrorInfo, MemberInfo,
    MessageKind, MsgId, PresenceStatus, Quote, Reaction, Reply, Role, RoomInfo, Settings,
    SharedFile, UserInfo,
};
use lanchat_store as store;
use lanchat_store::{ConvKind, Conversation, Reads, StoreError, UserId};

use super::Hub;

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
            StoreError::NoSuchMessage => ErrorInfo::new(
                ErrorCode::NoSuchMessage,
                "there is no such message here (or it was deleted)",
            ),
            StoreError::TooManyReactions(n) => ErrorInfo::new(
                ErrorCode::QuotaExceeded,
                format!("that message has {n} different reactions already; add to one of those"),
            ),
            other => {
                tracing::error!("storage error: {other}");
                ErrorInfo::new(ErrorCode::Internal, format!("storage error: {other}"))
            }
        })
    }
}

/// A refusal with `code` and the reason shown to the user.
pub(crate) fn err(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal(ErrorInfo::new(code, message))
}

/// "Not a member", with how to become one.
pub(crate) fn not_member(room: &str) -> Refusal {
    err(
        ErrorCode::NotMember,
        format!("you are not a member of #{room}; /join #{room} first"),
    )
}

/// "No such user", naming who was asked for.
pub(crate) fn no_such_user(name: &str) -> Refusal {
    err(
        ErrorCode::NoSuchUser,
        format!("there is no user @{}", name.trim_start_matches('@')),
    )
}

fn role_out(role: store::Role) -> Role {
    match role {
        store::Role::Member => Role::Member,
        store::Role::Admin => Role::Admin,
        store::Role::Owner => Role::Owner,
    }
}

/// A stored message as `conv` (named as its reader sees it) carries it. A change entry
/// carries its target's state as it is now.
pub(crate) fn chat(conv: ConvRef, m: store::StoredMessage) -> ChatMessage {
    let what = match m.kind {
        store::MessageKind::Edit => Some(ChangeKind::Edited),
        store::MessageKind::Delete => Some(ChangeKind::Deleted),
        store::MessageKind::React | store::MessageKind::Unreact => Some(ChangeKind::Reacted {
            emoji: m.emoji.clone().unwrap_or_default(),
            added: m.kind == store::MessageKind::React,
        }),
        _ => None,
    };
    let change = what.map(|what| {
        Box::new(Change {
            target: m.state_seq(),
            what,
        })
    });
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
            _ => MessageKind::Change,
        },
        text: m.text,
        file: m.file.map(|f| SharedFile {
            id: f.id as u64,
            name: f.name,
            size: f.size,
            hash: f.hash,
            uploader: f.uploader_name,
        }),
        edited: m.edited_ms.is_some(),
        deleted: m.deleted,
        reply_to: m.reply_to.map(|q| {
            Box::new(Quote {
                seq: q.seq,
                sender: q.sender,
                text: q.text,
                deleted: q.deleted,
            })
        }),
        reactions: m
            .reactions
            .into_iter()
            .map(|r| Reaction {
                emoji: r.emoji,
                count: r.count,
            })
            .collect(),
        mentions: m.mentions,
        mentions_room: m.mentions_room,
        change,
    }
}

/// `m` as a member who reads only after seq `since` may see it: a change to a message
/// before that, or the quote of one, says nothing of what that message holds. (The entry
/// itself stays, so the member's sequence has no gap.)
pub(crate) fn redact(mut m: ChatMessage, since: u64) -> ChatMessage {
    if since == 0 {
        return m;
    }
    if m.change.as_ref().is_some_and(|c| c.target <= since) {
        m.text.clear();
        m.file = None;
        m.edited = false;
        m.reply_to = None;
        m.reactions.clear();
        m.mentions.clear();
        m.mentions_room = false;
    }
    if let Some(q) = m.reply_to.as_mut().filter(|q| q.seq <= since) {
        q.text.clear();
    }
    m
}

/// Whether [`redact`] could change `m` for some member of a room whose members read from
/// different points: only changes and replies point at earlier messages.
pub(crate) fn points_back(m: &ChatMessage) -> bool {
    m.change.is_some() || m.reply_to.is_some()
}

/// A room in the room list.
pub(crate) fn room_info(r: store::RoomListing) -> RoomInfo {
    RoomInfo {
        name: r.name,
        topic: r.topic,
        members: r.members,
        private: r.private,
        archived: r.archived,
    }
}

/// A user's settings as the protocol carries them.
pub(crate) fn settings_out(s: store::Settings) -> Settings {
    Settings {
        typing: s.typing,
        receipts: s.receipts,
    }
}

/// A room member as the member list shows them, `status` being their presence.
pub(crate) fn member_info(m: store::MemberInfo, status: PresenceStatus) -> MemberInfo {
    MemberInfo {
        status,
        username: m.username,
        display: m.display,
        role: role_out(m.role),
    }
}

/// How user `viewer` names conversation `c`: a room by its name, a DM by its other member.
pub(crate) fn conv_ref_of(
    db: &impl Reads,
    c: &Conversation,
    viewer: UserId,
) -> Result<ConvRef, Refusal> {
    Ok(match c.kind {
        ConvKind::Room => ConvRef::Room(c.name.clone()),
        ConvKind::Dm => {
            let ids = db.member_ids(c.id)?;
            let peer = ids.iter().copied().find(|u| *u != viewer).unwrap_or(viewer);
            ConvRef::Dm(username(db, peer)?)
        }
    })
}

/// A user's username (a placeholder for an account that no longer exists).
pub(crate) fn username(db: &impl Reads, user: UserId) -> Result<String, Refusal> {
    Ok(db
        .user_by_id(user)?
        .map(|u| u.username)
        .unwrap_or_else(|| format!("user{user}")))
}

/// Every conversation `user` is in, with unread counts, as the protocol tells them. How far
/// the other person of a direct conversation read is told only when both have read receipts
/// on.
pub(crate) fn summaries(db: &impl Reads, user: UserId) -> Result<Vec<ConvSummary>, Refusal> {
    let receipts = db.settings(user)?.receipts;
    Ok(db
        .conversations_of(user)?
        .into_iter()
        .map(|s| {
            let conv = match (&s.conv.kind, &s.peer) {
                (ConvKind::Dm, Some(peer)) => ConvRef::Dm(peer.clone()),
                _ => ConvRef::Room(s.conv.name.clone()),
            };
            ConvSummary {
                conv,
                topic: s.conv.topic,
                last_seq: s.conv.last_seq,
                read_seq: s.read_seq,
                muted: s.muted,
                role: role_out(s.role),
                unread: s.unread,
                mentions: s.mentions,
                private: s.conv.private,
                archived: s.conv.archived,
                peer_read: s
                    .peer_read
                    .filter(|(_, theirs)| receipts && *theirs)
                    .map(|(seq, _)| seq),
            }
        })
        .collect())
}

/// A page of history as the reply carries it, for a member who reads after `since`.
pub(crate) fn page_reply(conv: ConvRef, messages: Vec<store::StoredMessage>, since: u64) -> Reply {
    Reply::Messages {
        messages: messages
            .into_iter()
            .map(|m| redact(chat(conv.clone(), m), since))
            .collect(),
        conv,
    }
}

impl Hub {
    pub(super) fn conv_ref_of(&self, c: &Conversation, viewer: UserId) -> Result<ConvRef, Refusal> {
        conv_ref_of(&self.store, c, viewer)
    }

    pub(super) fn username(&self, user: UserId) -> Result<String, Refusal> {
        username(&self.store, user)
    }

    pub(super) fn user_info(&self, user: UserId) -> Result<UserInfo, Refusal> {
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

    pub(super) fn summaries(&self, user: UserId) -> Result<Vec<ConvSummary>, Refusal> {
        summaries(&self.store, user)
    }

    pub(super) fn summary(&self, user: UserId, c: &Conversation) -> Result<ConvSummary, Refusal> {
        let conv = self.conv_ref_of(c, user)?;
        self.summaries(user)?
            .into_iter()
            .find(|s| s.conv == conv)
            .ok_or_else(|| not_member(&c.name))
    }
}
