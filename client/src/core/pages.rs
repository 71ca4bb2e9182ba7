//! Lists the coordinator sends a page at a time (rooms, users, a room's members, search
//! results, the file offers waiting at login): the core asks for the next page until the list
//! ends, and the front end hears one event with the whole list, as if it had come at once.
//!
//! Why pages: one reply must fit in a frame (1 MiB), and a list of a thousand rooms with long
//! topics once did not, so nobody could list the rooms. Gathering is bounded too: past
//! [`MAX_GATHERED`] entries the core stops asking and says so.
use lanchat_net::protocol::{
    ChatMessage, MemberInfo, Reply, Request, RoomInfo, UserInfo, MAX_SEARCH_PAGE,
};

use super::{Core, Pending};
use crate::api::Event;

/// Most entries the core gathers for one list (50 pages of the coordinator's largest).
pub const MAX_GATHERED: usize = 10_000;

/// A list being gathered, page by page.
#[derive(Debug)]
pub(super) enum Gathering {
    Rooms(Vec<RoomInfo>),
    Members {
        room: String,
        members: Vec<MemberInfo>,
    },
    Users(Vec<UserInfo>),
    Search {
        query: String,
        limit: u32,
        found: Vec<ChatMessage>,
    },
}

impl Gathering {
    /// The command the list answers, as the front end names it.
    pub(super) fn command(&self) -> &'static str {
        match self {
            Gathering::Rooms(_) => "rooms",
            Gathering::Members { .. } => "members",
            Gathering::Users(_) => "who",
            Gathering::Search { .. } => "search",
        }
    }
}

/// The first page's request of a search for `query`, `limit` results in all.
pub(super) fn search(query: String, limit: u32) -> (Request, Pending) {
    let request = Request::Search {
        query: query.clone(),
        limit: limit.min(MAX_SEARCH_PAGE),
        before: None,
    };
    let found = Vec::new();
    (
        request,
        Pending::List(Gathering::Search {
            query,
            limit,
            found,
        }),
    )
}

impl Core {
    /// A page of a list: asks for the next one, or tells the front end the whole list. Any
    /// other reply is given back.
    pub(super) fn list_page(&mut self, gathering: Gathering, reply: Reply) -> Option<Reply> {
        let (gathering, next) = match (gathering, reply) {
            (Gathering::Rooms(mut all), Reply::Rooms { rooms, next }) => {
                all.extend(rooms);
                let next = next.map(|after| Request::ListRooms { after: Some(after) });
                (Gathering::Rooms(all), next)
            }
            (
                Gathering::Members {
                    members: mut all, ..
                },
                Reply::Members {
                    name,
                    members,
                    next,
                },
            ) => {
                all.extend(members);
                let next = next.map(|after| Request::Members {
                    name: name.clone(),
                    after,
                });
                let room = name;
                (Gathering::Members { room, members: all }, next)
            }
            (Gathering::Users(mut all), Reply::Users { users, next }) => {
                all.extend(users);
                let next = next.map(|after| Request::Users { after: Some(after) });
                (Gathering::Users(all), next)
            }
            (
                Gathering::Search {
                    query,
                    limit,
                    mut found,
                },
                Reply::SearchResults { messages, next },
            ) => {
                found.extend(messages);
                let wanted = (limit as usize).saturating_sub(found.len());
                let next = next.filter(|_| wanted > 0).map(|before| Request::Search {
                    query: query.clone(),
                    limit: (wanted as u32).min(MAX_SEARCH_PAGE),
                    before: Some(before),
                });
                (
                    Gathering::Search {
                        query,
                        limit,
                        found,
                    },
                    next,
                )
            }
            (_, other) => return Some(other),
        };
        let gathered = match &gathering {
            Gathering::Rooms(all) => all.len(),
            Gathering::Members { members, .. } => members.len(),
            Gathering::Users(all) => all.len(),
            Gathering::Search { found, .. } => found.len(),
        };
        match next {
            Some(request) if gathered < MAX_GATHERED => {
                self.request(request, Pending::List(gathering));
            }
            more => {
                if more.is_some() {
                    let message = format!(
                        "the list is longer than {MAX_GATHERED} entries; showing the first \
                         {gathered}"
                    );
                    self.error(None, message, Some(gathering.command()));
                }
                self.list_done(gathering);
            }
        }
        None
    }

    fn list_done(&mut self, gathering: Gathering) {
        match gathering {
            Gathering::Rooms(rooms) => self.emit(Event::Rooms(rooms)),
            Gathering::Members { room, members } => self.emit(Event::Members { room, members }),
            Gathering::Users(users) => {
                for u in &users {
                    self.remember_presence(u);
                }
                self.emit(Event::Users(users))
            }
            Gathering::Search { query, found, .. } => self.emit(Event::SearchResults {
                query,
                messages: found,
            }),
        }
    }
}
