//! One task per QUIC connection: reads request frames, routes them through the connection's
//! [`Gate`] (hello, accounts, the hub) or to the group commit (messages), writes replies and
//! pushed events. Messages and changes to them wait for their user's turn
//! ([`crate::throttle::Pacer`]) before they are taken on. The gate's work blocks (Argon2, the hub's lock), so it runs on the blocking
//! pool.
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanchat_net::framed::{write_encoded, FrameError, FrameReader};
use lanchat_net::protocol::{ClientFrame, ErrorCode, ErrorInfo, Reply, Request, ServerFrame};
use tokio::sync::oneshot;

use crate::admission::Admitted;
use crate::clock::now_ms;
use crate::commit;
use crate::gate::{Close, Gate, Route};
use crate::hub::{self, PendingSend, OUTBOX_CAPACITY};
use crate::outbox::{outbox, Outbox, OutboxReader, Urgency};
use crate::shared::{blocking, Shared};
use crate::streams;

/// A connection must open its chat stream and say hello within this time (and log in within
/// the coordinator's login timeout, counted from the same start).
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection's writer may take to deliver what is queued.
const WRITER_DRAIN: Duration = Duration::from_secs(2);

struct Conn {
    shared: Arc<Shared>,
    connection: quinn::Connection,
    remote: SocketAddr,
    outbox: Outbox,
    /// This connection's messages waiting for their commit, oldest first.
    in_flight: VecDeque<oneshot::Receiver<()>>,
    /// Until the client has logged in: when it must have said hello, then logged in.
    deadline: Option<Deadline>,
    /// Counts this connection against its address's limit until it logs in.
    admitted: Option<Admitted>,
    /// Hello, login, session: what the connection's requests have established.
    gate: Gate,
}

/// The next thing a connection must have done by when, and how it is closed if not.
struct Deadline {
    timer: Pin<Box<tokio::time::Sleep>>,
    close: Close,
    /// When the login is due (the hello, due first, ends the deadline before it).
    login_at: tokio::time::Instant,
}

/// What an idle connection task wakes up for.
enum Wake {
    Frame(Result<Option<ClientFrame>, FrameError>),
    FileStream(quinn::SendStream, quinn::RecvStream),
    /// The hub dropped the session.
    Evicted,
    /// The coordinator is shutting down.
    Shutdown,
    /// The connection missed its deadline (hello, then login).
    Deadline,
    Closed,
}

/// Serves one incoming connection until it closes.
///
/// A plain function returning the task, not an `async fn`: an `async fn` keeps its
/// arguments for its whole life, and the incoming packet alone is 0.4 KB that every connected
/// client's task would carry.
pub fn serve(shared: Arc<Shared>, incoming: quinn::Incoming) -> impl Future<Output = ()> {
    let admitted = shared.admission.admit(incoming.remote_address().ip());
    // Boxed for the same reason: the handshake's state is big and over in milliseconds.
    let handshake = Box::pin(establish(incoming, admitted.is_some()));
    async move {
        let established = tokio::select! {
            established = handshake => established,
            () = shared.shutdown.cancelled() => None,
        };
        if let (Some((connection, send, recv)), Some(admitted)) = (established, admitted) {
            run(shared, connection, send, recv, admitted).await;
        }
    }
}

/// The QUIC handshake, then the chat stream the client must open first. A connection from an
/// address that has its limit of connections not logged in is closed right after the
/// handshake, with the reason.
async fn establish(
    incoming: quinn::Incoming,
    admitted: bool,
) -> Option<(quinn::Connection, quinn::SendStream, quinn::RecvStream)> {
    let connection = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("handshake failed: {e}");
            return None;
        }
    };
    if !admitted {
        let close = Close::TOO_MANY_WAITING;
        tracing::info!(remote = %connection.remote_address(), "{}", close.reason);
        connection.close(close.code.into(), close.reason.as_bytes());
        return None;
    }
    match tokio::time::timeout(HELLO_TIMEOUT, connection.accept_bi()).await {
        Ok(Ok((send, recv))) => Some((connection, send, recv)),
        _ => {
            let close = Close::NO_CHAT_STREAM;
            connection.close(close.code.into(), close.reason.as_bytes());
            None
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    connection: quinn::Connection,
    send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    admitted: Admitted,
) {
    let (outbox, frames) = outbox(OUTBOX_CAPACITY);
    let writer = tokio::spawn(write_loop(send, frames));
    let opened = tokio::time::Instant::now();
    let login_at = opened + shared.login_timeout;
    let deadline = Deadline {
        timer: Box::pin(tokio::time::sleep_until(
            login_at.min(opened + HELLO_TIMEOUT),
        )),
        close: Close::NO_HELLO_IN_TIME,
        login_at,
    };
    let mut conn = Conn {
        shared,
        remote: connection.remote_address(),
        connection,
        outbox,
        in_flight: VecDeque::new(),
        deadline: Some(deadline),
        admitted: Some(admitted),
        gate: Gate::new(),
    };
    conn.read_loop(&mut recv).await;
    conn.settle().await;
    let Conn {
        shared,
        connection,
        outbox,
        mut gate,
        ..
    } = conn;
    let close = gate.closing().unwrap_or(Close::BYE);
    if gate.login().is_some() {
        let _ = blocking(move || {
            gate.disconnected(shared.context());
            Ok(())
        })
        .await;
    }
    // The writer ends once every handle on the outbox is gone: the session's (the hub let
    // go of it above) and this one. It then writes what is still queued (the reply or
    // notice that explains the close), finishes the stream and waits for the client to have
    // it all: let it, for a while.
    drop(outbox);
    let _ = tokio::time::timeout(WRITER_DRAIN, writer).await;
    connection.close(close.code.into(), close.reason.as_bytes());
}

/// What `future` gives, or never, if there is no future.
async fn or_never<F: Future + Unpin>(future: Option<&mut F>) -> F::Output {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// Shortest time between two writes of bulk frames (room traffic, presence) to one
/// connection. A connection that has been quiet this long is written at once; under a stream
/// of room messages the writer waits out the rest of the interval and sends everything queued
/// by then together. An urgent frame (a reply, a direct message) ends the wait.
///
/// Why: each QUIC packet costs the coordinator tens of microseconds here (encryption,
/// `sendmsg`, the acknowledgement coming back, and a connection state that has gone cold in
/// the CPU cache), whatever it carries, and so it does for the client. A 500-member room fed
/// 200 messages/s was written one message per packet (100,000 packets/s) and used a whole
/// core; with the interval each packet carries several messages. Measured with
/// `cargo bench --bench load`, see docs/performance.md.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(20);

/// Writes what the hub and the reader queue, everything queued at once; bulk frames at most
/// once per [`WRITE_INTERVAL`].
async fn write_loop(mut send: quinn::SendStream, mut frames: OutboxReader) {
    let mut batch = Vec::new();
    let mut last_write: Option<Instant> = None;
    while let Some(urgency) = frames.take(&mut batch).await {
        let ready_at = last_write.map(|t| t + WRITE_INTERVAL);
        if let Some(ready_at) = ready_at.filter(|&t| urgency == Urgency::Bulk && t > Instant::now())
        {
            tokio::select! {
                () = tokio::time::sleep_until(ready_at.into()) => {}
                () = frames.urgent() => {}
            }
            frames.try_take(&mut batch);
        }
        last_write = Some(Instant::now());
        if let Err(e) = write_encoded(&mut send, &batch).await {
            tracing::debug!("write failed: {e}");
            return;
        }
        batch.clear();
    }
    let _ = send.finish();
    let _ = send.stopped().await;
}

impl Conn {
    async fn read_loop(&mut self, recv: &mut quinn::RecvStream) {
        let mut reader = FrameReader::new();
        loop {
            let next = match self.wait(&mut reader, recv).await {
                Wake::Frame(next) => next,
                Wake::FileStream(send, recv) => {
                    let user = self.gate.login().map(|login| login.user);
                    streams::spawn(self.shared.clone(), user, send, recv);
                    continue;
                }
                Wake::Evicted => {
                    self.gate.evicted();
                    return;
                }
                Wake::Deadline => {
                    if let Some(missed) = self.deadline.take() {
                        tracing::info!(remote = %self.remote, "{}", missed.close.reason);
                        self.gate.close(missed.close);
                    }
                    return;
                }
                Wake::Shutdown => {
                    self.gate.close(Close::SHUTDOWN);
                    return;
                }
                Wake::Closed => return,
            };
            // Boxed: what a request needs while it is handled (its frame, the commit, the
            // reply) would otherwise be kept by every connected client's task, idle or not.
            if !Box::pin(self.dispatch(next)).await {
                return;
            }
        }
    }

    /// Waits for the next frame on the chat stream, a file stream, or the end of the session.
    /// Everything waited on is cancel-safe: what loses the race is picked up next time.
    async fn wait(&mut self, reader: &mut FrameReader, recv: &mut quinn::RecvStream) -> Wake {
        tokio::select! {
            frame = reader.next::<ClientFrame>(recv) => Wake::Frame(frame),
            stream = self.connection.accept_bi() => match stream {
                Ok((send, recv)) => Wake::FileStream(send, recv),
                Err(_) => Wake::Closed,
            },
            _ = or_never(self.gate.eviction()) => Wake::Evicted,
            () = or_never(self.deadline.as_mut().map(|d| &mut d.timer)) => Wake::Deadline,
            () = self.shared.shutdown.cancelled() => Wake::Shutdown,
        }
    }

    /// Answers one frame read from the chat stream; false when the connection must end.
    async fn dispatch(&mut self, next: Result<Option<ClientFrame>, FrameError>) -> bool {
        let frame = match next {
            Ok(Some(frame)) => frame,
            Ok(None) => return false,
            Err(FrameError::Codec(e)) => {
                tracing::info!(remote = %self.remote, "malformed frame: {e}");
                let error = ErrorInfo::new(
                    ErrorCode::BadRequest,
                    format!("{e}; closing the connection"),
                );
                let _ = self.reply(0, Err(error)).await;
                self.gate.close(Close::MALFORMED);
                return false;
            }
            Err(e) => {
                tracing::debug!(remote = %self.remote, "connection ended: {e}");
                return false;
            }
        };
        let request = match self.gate.route(frame.request) {
            Route::Commit(send) => {
                self.pace().await;
                self.submit(frame.id, send).await;
                return true;
            }
            Route::Handle(request) => request,
        };
        if matches!(request, Request::Change { .. }) {
            self.pace().await;
        }
        // Anything else is answered after this connection's messages, in request order.
        self.settle().await;
        let result = self.handle(request).await;
        self.advance_deadline();
        self.reply(frame.id, result).await && self.gate.closing().is_none()
    }

    /// Once logged in, the connection has no deadline and stops counting against its
    /// address's limit; once greeted, the deadline is the login's.
    fn advance_deadline(&mut self) {
        if self.gate.login().is_some() {
            self.deadline = None;
            self.admitted = None;
        } else if let Some(d) = &mut self.deadline {
            if self.gate.greeted() && d.close == Close::NO_HELLO_IN_TIME {
                d.timer.as_mut().reset(d.login_at);
                d.close = Close::NO_LOGIN_IN_TIME;
            }
        }
    }

    /// Waits for the user's turn to post (see [`crate::throttle::Pacer`]). While it waits the
    /// connection reads nothing more, so the client is held back by QUIC's flow control
    /// rather than refused.
    async fn pace(&mut self) {
        let Some(login) = self.gate.login() else {
            return;
        };
        let wait = self.shared.pacer.reserve(login.user, now_ms());
        if wait > 0 {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(wait)) => {}
                () = self.shared.shutdown.cancelled() => {}
            }
        }
    }

    /// Queues a message for the next group commit; the committer answers it.
    async fn submit(&mut self, frame_id: u64, send: PendingSend) {
        while self.in_flight.len() >= commit::MAX_IN_FLIGHT {
            if let Some(oldest) = self.in_flight.pop_front() {
                let _ = oldest.await;
            }
        }
        let (done, finished) = oneshot::channel();
        let job = commit::Job {
            frame_id,
            send,
            outbox: self.outbox.clone(),
            done,
        };
        if self.shared.committer.submit(job) {
            self.in_flight.push_back(finished);
        } else {
            let error = ErrorInfo::new(ErrorCode::Internal, "the coordinator is shutting down");
            let _ = self.reply(frame_id, Err(error)).await;
        }
    }

    /// Waits until every message this connection sent has been answered.
    async fn settle(&mut self) {
        while let Some(oldest) = self.in_flight.pop_front() {
            let _ = oldest.await;
        }
    }

    async fn reply(&self, id: u64, result: Result<Reply, ErrorInfo>) -> bool {
        let Some(frame) = hub::encode(&ServerFrame::Reply { id, result }) else {
            return true;
        };
        self.outbox.push(frame).await.is_ok()
    }

    /// Runs the gate on the blocking pool. The gate travels there and back (it is small); a
    /// panic in it is answered as an internal error and leaves the gate as the panic found it,
    /// as a request's failure would.
    async fn handle(&mut self, request: Request) -> Result<Reply, ErrorInfo> {
        let mut gate = std::mem::take(&mut self.gate);
        let (shared, outbox, remote) = (self.shared.clone(), self.outbox.clone(), self.remote);
        let ran = tokio::task::spawn_blocking(move || {
            let handled = catch_unwind(AssertUnwindSafe(|| {
                gate.handle(shared.context(), remote, &outbox, request, now_ms())
            }));
            (gate, handled)
        })
        .await;
        let internal = || ErrorInfo::new(ErrorCode::Internal, "internal error");
        match ran {
            Ok((gate, handled)) => {
                self.gate = gate;
                handled.unwrap_or_else(|_| {
                    tracing::error!(remote = %self.remote, "a request panicked");
                    Err(internal())
                })
            }
            Err(e) => {
                // Only when the runtime is going away; the gate went with the task.
                tracing::error!("request task failed: {e}");
                self.gate.close(Close::SHUTDOWN);
                Err(internal())
            }
        }
    }
}
