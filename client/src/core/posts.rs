//! What this user posts — messages, replies, edits, deletions, reactions — in the order it
//! was typed, until the coordinator acknowledges each.
//!
//! Why a queue with a window: the coordinator paces each user (a connection that posts
//! faster waits its turn; none is refused), so a paste of 200 lines takes seconds to store.
//! The core keeps at most [`MAX_POSTS_IN_FLIGHT`] of them on the wire and sends the next as
//! each is acknowledged: the rest wait here, in order, where a front end can see how many are
//! queued, instead of in the transport's buffers, where a large paste would block the
//! connection's writer (and with it the reading of everything else). After a reconnect all
//! unacknowledged posts go out again (idempotent by id), oldest first.
use std::collections::VecDeque;

use lanchat_net::protocol::{ChangeRequest, MsgId, Request};

use crate::api::Command;

/// Posts sent and not yet acknowledged, at most. As many as the coordinator takes on from
/// one connection before it stops reading (its `commit::MAX_IN_FLIGHT`).
pub const MAX_POSTS_IN_FLIGHT: usize = 32;
/// Posts waiting, at most: over eight minutes of them at the coordinator's default pace. One
/// more is refused with the reason (nothing is refused for speed below this).
pub const MAX_POSTS_WAITING: usize = 10_000;

#[derive(Debug)]
struct Post {
    id: MsgId,
    request: Request,
    sent: bool,
}

/// The queue of posts.
#[derive(Debug, Default)]
pub(super) struct Posts {
    queue: VecDeque<Post>,
    /// A logout waits for the queue to empty (everything typed before it is stored first).
    pub(super) logout_waiting: bool,
}

impl Posts {
    /// Queues `request` (a `Send` or `Change` with id `id`) behind the others; refused (with
    /// the reason) when [`MAX_POSTS_WAITING`] wait already.
    pub(super) fn push(&mut self, id: MsgId, request: Request) -> Result<(), String> {
        if self.queue.len() >= MAX_POSTS_WAITING {
            return Err(format!(
                "not sent: {MAX_POSTS_WAITING} messages already wait to be sent; try again once \
                 some are stored"
            ));
        }
        self.queue.push_back(Post {
            id,
            request,
            sent: false,
        });
        Ok(())
    }

    /// The next post to send, if the window has room: marked sent.
    pub(super) fn next(&mut self) -> Option<(MsgId, Request)> {
        if self.in_flight() >= MAX_POSTS_IN_FLIGHT {
            return None;
        }
        let post = self.queue.iter_mut().find(|p| !p.sent)?;
        post.sent = true;
        Some((post.id, post.request.clone()))
    }

    /// The coordinator answered post `id` (stored or refused): it leaves the queue.
    pub(super) fn answered(&mut self, id: MsgId) {
        self.queue.retain(|p| p.id != id);
    }

    /// The connection is gone: every post not acknowledged goes out again after the next
    /// login.
    pub(super) fn unsend(&mut self) {
        for p in &mut self.queue {
            p.sent = false;
        }
    }

    /// How many wait for their acknowledgement (sent or not yet).
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn in_flight(&self) -> usize {
        self.queue.iter().filter(|p| p.sent).count()
    }
}

/// The post a command asks for, with its id; the command back if it is not a post.
pub(super) fn post(command: Command) -> Result<(MsgId, Request), Command> {
    Ok(match command {
        Command::Send { conv, text, id } => (
            id,
            Request::Send {
                conv,
                id,
                text,
                reply_to: None,
            },
        ),
        Command::Reply { conv, to, text, id } => (
            id,
            Request::Send {
                conv,
                id,
                text,
                reply_to: Some(to),
            },
        ),
        Command::Edit {
            conv,
            target,
            text,
            id,
        } => (
            id,
            Request::Change {
                conv,
                id,
                target,
                change: ChangeRequest::Edit { text },
            },
        ),
        Command::Delete { conv, target, id } => (
            id,
            Request::Change {
                conv,
                id,
                target: Some(target),
                change: ChangeRequest::Delete,
            },
        ),
        Command::React {
            conv,
            target,
            emoji,
            id,
        } => (
            id,
            Request::Change {
                conv,
                id,
                target: Some(target),
                change: ChangeRequest::React { emoji },
            },
        ),
        other => return Err(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::protocol::ConvRef;

    fn send(n: u8) -> (MsgId, Request) {
        post(Command::Send {
            conv: ConvRef::Room("general".into()),
            text: format!("line {n}"),
            id: MsgId([n; 16]),
        })
        .unwrap()
    }

    #[test]
    fn a_window_of_posts_goes_out_in_order() {
        let mut posts = Posts::default();
        for n in 0..40 {
            let (id, request) = send(n);
            posts.push(id, request).unwrap();
        }
        let first: Vec<MsgId> = std::iter::from_fn(|| posts.next().map(|(id, _)| id)).collect();
        assert_eq!(first.len(), MAX_POSTS_IN_FLIGHT);
        assert_eq!(first[0], MsgId([0; 16]));
        posts.answered(MsgId([0; 16]));
        assert_eq!(posts.next().map(|(id, _)| id), Some(MsgId([32; 16])));
        assert_eq!(posts.next(), None);
        assert_eq!(posts.len(), 39);
        // After a reconnect, the oldest first again.
        posts.unsend();
        assert_eq!(posts.next().map(|(id, _)| id), Some(MsgId([1; 16])));
    }

    #[test]
    fn the_queue_is_bounded_and_says_why() {
        let mut posts = Posts::default();
        for _ in 0..MAX_POSTS_WAITING {
            let (_, request) = send(1);
            posts.push(MsgId::random(), request).unwrap();
        }
        let (id, request) = send(2);
        let refused = posts.push(id, request).unwrap_err();
        assert!(refused.contains("already wait"), "{refused}");
    }
}
