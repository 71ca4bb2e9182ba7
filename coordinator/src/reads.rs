//! The read side: history pages, searches, lists and unread counts, answered from read
//! snapshots of the store ([`lanchat_store::ReadPool`]) without the hub's lock.
//!
//! Why: the hub's lock orders every write (messages, joins, topics), so whatever runs under it
//! delays every user's next message. A 469 KB search once held it for 9.9 s. Reads need no
//! order: SQLite in WAL mode gives each one a consistent snapshot beside the writer, so they
//! run here, each on one snapshot in which the reader's membership is checked too (a member
//! kicked a moment ago reads nothing the snapshot after the kick holds). The pool bounds how
//! many run at once; searches are capped in size and words before they reach the index.
//!
//! Private rooms: a reader who is neither a member nor invited is told such a room does not
//! exist, whatever they ask (list, members, history, search); a member of a private room who
//! joined after it began reads only from then on, unless the room keeps its whole history
//! for newcomers, and whatever points back further (a change, a reply's quote) is redacted.
//!
//! Presence (who is online) lives in the hub's sessions; the hub mirrors each user's status
//! here (`Reads::note_presence`) so that member and user lists need not take its lock.
//!
//! Like the hub, this does no network I/O and never reads the clock.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lanchat_net::protocol::{
    ChatMessage, ConvRef, ErrorCode, PresenceStatus, Reply, Request, UserInfo, MAX_HISTORY_PAGE,
    MAX_LIST_PAGE, MAX_SEARCH_BYTES, MAX_SEARCH_PAGE, MAX_SEARCH_WORDS,
};
use lanchat_store::{ConvId, Conversation, ReadPool, Reads as _, Snapshot, UserId};

use crate::hub::convert::{
    chat, conv_ref_of, err, member_info, no_such_user, not_member, page_reply, redact, room_info,
    summaries, Refusal,
};
use crate::lock::lock;
use crate::rules;

/// What reads share: the read connections and the mirror of who is online.
#[derive(Debug)]
pub struct Reads {
    pool: Arc<ReadPool>,
    presence: Mutex<HashMap<UserId, PresenceStatus>>,
}

impl Reads {
    /// Reads from `pool`; nobody is online yet.
    pub fn new(pool: Arc<ReadPool>) -> Reads {
        Reads {
            pool,
            presence: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `request` only reads (and is answered here rather than by the hub).
    pub fn is_read(request: &Request) -> bool {
        matches!(
            request,
            Request::After { .. }
                | Request::Before { .. }
                | Request::ListRooms { .. }
                | Request::Members { .. }
                | Request::Users { .. }
                | Request::Search { .. }
                | Request::Summaries
        )
    }

    /// Answers a read request of user `me` from one snapshot; anything else is a bad request.
    pub fn answer(&self, me: UserId, request: Request) -> Result<Reply, Refusal> {
        if let Request::Search { query, .. } = &request {
            check_search(query)?;
        }
        self.pool.snapshot(|snap| self.read(snap, me, request))
    }

    /// The hub's word on a user's presence, mirrored for the lists read here.
    pub(crate) fn note_presence(&self, user: UserId, status: PresenceStatus) {
        let mut presence = lock(&self.presence);
        match status {
            PresenceStatus::Offline => presence.remove(&user),
            status => presence.insert(user, status),
        };
    }

    fn status_of(&self, users: impl Iterator<Item = UserId>) -> Vec<PresenceStatus> {
        let presence = lock(&self.presence);
        users
            .map(|u| presence.get(&u).copied().unwrap_or(PresenceStatus::Offline))
            .collect()
    }

    fn read(&self, snap: &Snapshot<'_>, me: UserId, request: Request) -> Result<Reply, Refusal> {
        match request {
            Request::After { conv, after, limit } => {
                let (c, conv, since) = readable(snap, me, &conv)?;
                let messages = match c {
                    Some(c) => snap.messages_after(c.id, seq_arg(after).max(since), page(limit))?,
                    None => Vec::new(),
                };
                Ok(page_reply(conv, messages, since))
            }
            Request::Before {
                conv,
                before,
                limit,
            } => {
                let (c, conv, since) = readable(snap, me, &conv)?;
                let messages = match c {
                    Some(c) => {
                        snap.messages_before_since(c.id, seq_arg(before), since, page(limit))?
                    }
                    None => Vec::new(),
                };
                Ok(page_reply(conv, messages, since))
            }
            Request::ListRooms { after } => {
                let rooms = snap.rooms_visible_to(me, after.as_deref(), MAX_LIST_PAGE)?;
                let next =
                    full(&rooms, MAX_LIST_PAGE).and_then(|r| r.last().map(|r| r.name.clone()));
                Ok(Reply::Rooms {
                    rooms: rooms.into_iter().map(room_info).collect(),
                    next,
                })
            }
            Request::Members { name, after } => {
                let room = room(snap, me, &name)?;
                if room.private && snap.membership(room.id, me)?.is_none() {
                    return Err(not_member(&room.name));
                }
                let members = snap.members(room.id, after, MAX_LIST_PAGE)?;
                let next = full(&members, MAX_LIST_PAGE).and_then(|m| m.last().map(|m| m.position));
                let statuses = self.status_of(members.iter().map(|m| m.user_id));
                Ok(Reply::Members {
                    name: room.name,
                    members: members
                        .into_iter()
                        .zip(statuses)
                        .map(|(m, status)| member_info(m, status))
                        .collect(),
                    next,
                })
            }
            Request::Users { after } => {
                let users = snap.list_users(after.as_deref(), MAX_LIST_PAGE)?;
                let next =
                    full(&users, MAX_LIST_PAGE).and_then(|u| u.last().map(|u| u.username.clone()));
                let statuses = self.status_of(users.iter().map(|u| u.id));
                Ok(Reply::Users {
                    users: users
                        .into_iter()
                        .zip(statuses)
                        .map(|(u, status)| UserInfo {
                            username: u.username,
                            display: u.display,
                            status,
                        })
                        .collect(),
                    next,
                })
            }
            Request::Search {
                query,
                limit,
                before,
            } => {
                let limit = limit.clamp(1, MAX_SEARCH_PAGE);
                let found = snap.search(me, &query, before, limit)?;
                let next = full(&found, limit).and_then(|m| m.last().map(|m| m.position));
                Ok(Reply::SearchResults {
                    messages: named(snap, me, found)?,
                    next,
                })
            }
            Request::Summaries => Ok(Reply::Summaries(summaries(snap, me)?)),
            _ => Err(err(
                ErrorCode::BadRequest,
                "that request does not only read",
            )),
        }
    }
}

/// Refuses a search too big to run: it would cost the index in proportion to its words.
fn check_search(query: &str) -> Result<(), Refusal> {
    let words = query
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .count();
    if query.len() > MAX_SEARCH_BYTES || words > MAX_SEARCH_WORDS {
        return Err(err(
            ErrorCode::TooLarge,
            format!(
                "the search is {} bytes in {words} words; a search may have at most \
                 {MAX_SEARCH_WORDS} words in {MAX_SEARCH_BYTES} bytes",
                query.len()
            ),
        ));
    }
    Ok(())
}

/// The page's items if it is full (there may be more after it).
fn full<T>(items: &[T], page: u32) -> Option<&[T]> {
    (items.len() >= page as usize).then_some(items)
}

fn page(limit: u32) -> u32 {
    limit.clamp(1, MAX_HISTORY_PAGE)
}

/// A seq bound from the client as the store can take it: SQLite integers are i64, and
/// `u64::MAX` ("the newest") would otherwise fail as a storage error.
pub(crate) fn seq_arg(seq: u64) -> u64 {
    seq.min(i64::MAX as u64)
}

/// A room by name as `me` may know of it: a clear "no such room" when there is none, and the
/// same for a private room `me` is neither a member of nor invited to.
fn room(snap: &Snapshot<'_>, me: UserId, name: &str) -> Result<Conversation, Refusal> {
    let name = rules::normalize_room(name)?;
    let missing = || err(ErrorCode::NoSuchRoom, format!("there is no room #{name}"));
    let room = snap.room_by_name(&name)?.ok_or_else(missing)?;
    if room.private && snap.membership(room.id, me)?.is_none() && !snap.is_invited(room.id, me)? {
        return Err(missing());
    }
    Ok(room)
}

/// The conversation `conv` names for `me`, if `me` may read it, with its canonical name and
/// the seq after which `me` reads (see `Membership::since_seq`). The conversation is `None`
/// for a DM nobody has written in yet: nothing to read (and reading never creates it).
fn readable(
    snap: &Snapshot<'_>,
    me: UserId,
    conv: &ConvRef,
) -> Result<(Option<Conversation>, ConvRef, u64), Refusal> {
    let c = match conv {
        ConvRef::Room(name) => room(snap, me, name)?,
        ConvRef::Dm(user) => {
            let (peer, _) = snap
                .user_by_name(user.trim_start_matches('@'))?
                .ok_or_else(|| no_such_user(user))?;
            match snap.dm_between(me, peer.id)? {
                Some(c) => c,
                None => return Ok((None, ConvRef::Dm(peer.username), 0)),
            }
        }
    };
    let Some(membership) = snap.membership(c.id, me)? else {
        return Err(not_member(&c.name));
    };
    let name = conv_ref_of(snap, &c, me)?;
    Ok((Some(c), name, membership.since_seq))
}

/// Search hits named as `me` sees their conversations, and redacted as `me` may read them
/// (each conversation looked up once).
fn named(
    snap: &Snapshot<'_>,
    me: UserId,
    found: Vec<lanchat_store::StoredMessage>,
) -> Result<Vec<ChatMessage>, Refusal> {
    let mut names: HashMap<ConvId, (ConvRef, u64)> = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for m in found {
        let (conv, since) = match names.get(&m.conv_id) {
            Some(known) => known.clone(),
            None => {
                let c = snap
                    .conversation(m.conv_id)?
                    .ok_or_else(|| err(ErrorCode::Internal, "conversation vanished"))?;
                let conv = conv_ref_of(snap, &c, me)?;
                let since = snap.membership(c.id, me)?.map_or(0, |m| m.since_seq);
                names.insert(m.conv_id, (conv.clone(), since));
                (conv, since)
            }
        };
        out.push(redact(chat(conv, m), since));
    }
    Ok(out)
}
