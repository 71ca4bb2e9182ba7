//! One task per QUIC connection: reads request frames, runs them against the hub, writes
//! replies and pushed events. Authentication (which needs slow Argon2 work) happens here, off
//! the hub's lock.
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanchat_net::framed::{write_encoded, FrameError, FrameReader};
use lanchat_net::protocol::{
    ClientFrame, ErrorCode, ErrorInfo, Reply, Request, ServerFrame, PROTOCOL_VERSION,
};
use tokio::sync::oneshot;

use crate::auth;
use crate::clock::now_ms;
use crate::commit;
use crate::hub::{self, PendingSend, Refusal, SessionId, SessionLink, OUTBOX_CAPACITY};
use crate::outbox::{outbox, Outbox, OutboxReader, Urgency};
use crate::rules;
use crate::shared::{blocking, Shared};
use crate::streams;

/// A session token unused for this long must be replaced by a password login.
const SESSION_MAX_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;
/// A connection must open its chat stream and say hello within this time.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Application close code for a protocol violation.
const CLOSE_PROTOCOL: u32 = 1;
/// Application close code for a normal end (logout, shutdown).
const CLOSE_NORMAL: u32 = 0;

struct Conn {
    shared: Arc<Shared>,
    connection: quinn::Connection,
    remote: SocketAddr,
    outbox: Outbox,
    /// This connection's messages waiting for their commit, oldest first.
    in_flight: VecDeque<oneshot::Receiver<()>>,
    greeted: bool,
    /// Until the client has said hello: when it must have.
    hello_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    session: Option<SessionId>,
    /// Who is logged in on this connection, for its file streams.
    user: Option<lanchat_store::UserId>,
    /// Set after the session is opened: fires when the hub drops the session.
    evicted: Option<oneshot::Receiver<()>>,
    closing: Option<(u32, &'static str)>,
}

/// What an idle connection task wakes up for.
enum Wake {
    Frame(Result<Option<ClientFrame>, FrameError>),
    FileStream(quinn::SendStream, quinn::RecvStream),
    /// The hub dropped the session.
    Evicted,
    HelloTimeout,
    Closed,
}

/// Serves one incoming connection until it closes.
///
/// A plain function returning the task, not an `async fn`: an `async fn` keeps its
/// arguments for its whole life, and the incoming packet alone is 0.4 KB that every connected
/// client's task would carry.
pub fn serve(shared: Arc<Shared>, incoming: quinn::Incoming) -> impl Future<Output = ()> {
    // Boxed for the same reason: the handshake's state is big and over in milliseconds.
    let handshake = Box::pin(establish(incoming));
    async move {
        if let Some((connection, send, recv)) = handshake.await {
            run(shared, connection, send, recv).await;
        }
    }
}

/// The QUIC handshake, then the chat stream the client must open first.
async fn establish(
    incoming: quinn::Incoming,
) -> Option<(quinn::Connection, quinn::SendStream, quinn::RecvStream)> {
    let connection = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("handshake failed: {e}");
            return None;
        }
    };
    match tokio::time::timeout(HELLO_TIMEOUT, connection.accept_bi()).await {
        Ok(Ok((send, recv))) => Some((connection, send, recv)),
        _ => {
            connection.close(CLOSE_PROTOCOL.into(), b"no chat stream opened");
            None
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    connection: quinn::Connection,
    send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) {
    let (outbox, frames) = outbox(OUTBOX_CAPACITY);
    let writer = tokio::spawn(write_loop(send, frames));
    let mut conn = Conn {
        shared,
        remote: connection.remote_address(),
        connection,
        outbox,
        in_flight: VecDeque::new(),
        greeted: false,
        hello_deadline: Some(Box::pin(tokio::time::sleep(HELLO_TIMEOUT))),
        session: None,
        user: None,
        evicted: None,
        closing: None,
    };
    conn.read_loop(&mut recv).await;
    conn.settle().await;
    if let Some(sid) = conn.session.take() {
        let shared = conn.shared.clone();
        let _ = blocking(move || {
            shared.hub().close_session(sid);
            Ok(())
        })
        .await;
    }
    let Conn {
        connection,
        closing,
        ..
    } = conn;
    let (code, reason) = closing.unwrap_or((CLOSE_NORMAL, "bye"));
    // Let queued replies (such as the error that explains a close) reach the client.
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    connection.close(code.into(), reason.as_bytes());
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
/// `cargo bench --bench load`, see the README's load figures.
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
                    streams::spawn(self.shared.clone(), self.user, send, recv);
                    continue;
                }
                Wake::Evicted => {
                    self.session = None;
                    self.closing = Some((CLOSE_PROTOCOL, "not reading fast enough"));
                    return;
                }
                Wake::HelloTimeout => {
                    self.closing = Some((CLOSE_PROTOCOL, "no hello in time"));
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
            _ = or_never(self.evicted.as_mut()) => Wake::Evicted,
            () = or_never(self.hello_deadline.as_mut()) => Wake::HelloTimeout,
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
                self.closing = Some((CLOSE_PROTOCOL, "malformed frame"));
                return false;
            }
            Err(e) => {
                tracing::debug!(remote = %self.remote, "connection ended: {e}");
                return false;
            }
        };
        let request = match (frame.request, self.session) {
            (Request::Send { conv, id, text }, Some(sid)) => {
                self.submit(
                    frame.id,
                    PendingSend {
                        sid,
                        conv,
                        id,
                        text,
                    },
                )
                .await;
                return true;
            }
            (request, _) => request,
        };
        // Anything else is answered after this connection's messages, in request order.
        self.settle().await;
        // Boxed: the login and registration paths hold big futures, needed only for them.
        let result = Box::pin(self.handle(request)).await;
        self.reply(frame.id, result).await && self.closing.is_none()
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

    async fn handle(&mut self, request: Request) -> Result<Reply, ErrorInfo> {
        if !self.greeted {
            return self.hello(request);
        }
        match (request, self.session) {
            (Request::Register { username, password }, None) => {
                self.register(username, password).await
            }
            (Request::Login { username, password }, None) => self.login(username, password).await,
            (Request::Resume { token }, None) => self.resume(token).await,
            (_, None) => Err(ErrorInfo::new(
                ErrorCode::NotAuthenticated,
                "log in or register first",
            )),
            (Request::Logout, Some(sid)) => {
                let shared = self.shared.clone();
                blocking(move || {
                    let mut hub = shared.hub();
                    if let Some((user, _)) = hub.session_user(sid) {
                        hub.withdraw_offers_of(user);
                    }
                    hub.forget_token(sid)?;
                    hub.close_session(sid);
                    Ok(())
                })
                .await?;
                self.user = None;
                self.session = None;
                self.evicted = None;
                self.closing = Some((CLOSE_NORMAL, "logged out"));
                Ok(Reply::Ok)
            }
            (Request::ChangePassword { old, new }, Some(sid)) => {
                self.change_password(sid, old, new).await
            }
            (request, Some(sid)) => {
                let shared = self.shared.clone();
                blocking(move || shared.hub().handle(sid, request, now_ms())).await
            }
        }
    }

    fn hello(&mut self, request: Request) -> Result<Reply, ErrorInfo> {
        let Request::Hello { version, client } = request else {
            self.closing = Some((CLOSE_PROTOCOL, "no hello"));
            return Err(ErrorInfo::new(
                ErrorCode::BadRequest,
                "the first request must be Hello",
            ));
        };
        if version != PROTOCOL_VERSION {
            self.closing = Some((CLOSE_PROTOCOL, "protocol version mismatch"));
            return Err(ErrorInfo::new(
                ErrorCode::VersionMismatch,
                format!(
                    "this coordinator speaks lanchat protocol {PROTOCOL_VERSION}, the client \
                     speaks {version}; update the older one"
                ),
            ));
        }
        tracing::debug!(remote = %self.remote, client, "hello");
        self.greeted = true;
        self.hello_deadline = None;
        Ok(Reply::Welcome {
            version: PROTOCOL_VERSION,
            name: self.shared.name.clone(),
        })
    }

    async fn register(&mut self, username: String, password: String) -> Result<Reply, ErrorInfo> {
        rules::check_username(&username)?;
        rules::check_password(&username, &password)?;
        let shared = self.shared.clone();
        let user = blocking(move || {
            let hash = auth::hash_password(&password)
                .map_err(|e| Refusal(ErrorInfo::new(ErrorCode::Internal, e)))?;
            shared
                .hub()
                .store()
                .create_user(&username, &username, &hash, now_ms())
                .map_err(|e| match e {
                    lanchat_store::StoreError::UsernameTaken => ErrorInfo::new(
                        ErrorCode::UsernameTaken,
                        format!("the username {username} is already taken"),
                    )
                    .into(),
                    other => Refusal::from(other),
                })
        })
        .await?;
        tracing::info!(user = %user.username, "registered");
        self.open(user.id).await
    }

    async fn login(&mut self, username: String, password: String) -> Result<Reply, ErrorInfo> {
        let shared = self.shared.clone();
        let ip = self.remote.ip();
        let name = username.clone();
        let found = blocking(move || {
            let allowed = shared.throttle().allowed(&name, ip, Instant::now());
            let record = shared.hub().store().user_by_name(&name)?;
            // Always run Argon2, so neither an unknown name nor throttling answers faster.
            let (hash, user) = match &record {
                Some((user, hash)) => (hash.as_str(), Some(user.id)),
                None => (auth::dummy_hash(), None),
            };
            let good = auth::verify_password(&password, hash) && allowed;
            if !good && allowed {
                shared.throttle().failed(&name, ip, Instant::now());
            }
            Ok(user.filter(|_| good))
        })
        .await?;
        match found {
            Some(user) => self.open(user).await,
            None => {
                tracing::info!(remote = %self.remote, user = %username, "login refused");
                Err(ErrorInfo::new(
                    ErrorCode::AuthFailed,
                    "invalid username or password (or too many attempts; wait a minute)",
                ))
            }
        }
    }

    async fn resume(&mut self, token: [u8; 32]) -> Result<Reply, ErrorInfo> {
        let shared = self.shared.clone();
        let hash = *blake3::hash(&token).as_bytes();
        let user = blocking(move || {
            Ok(shared
                .hub()
                .store()
                .session_user(&hash, now_ms(), SESSION_MAX_IDLE_MS)?)
        })
        .await?
        .ok_or_else(|| {
            ErrorInfo::new(
                ErrorCode::SessionExpired,
                "the session has expired; log in with your password",
            )
        })?;
        self.attach(user, token).await
    }

    /// A new session token for `user`, then the session.
    async fn open(&mut self, user: lanchat_store::UserId) -> Result<Reply, ErrorInfo> {
        let mut token = [0u8; 32];
        rand::fill(&mut token);
        let shared = self.shared.clone();
        let hash = *blake3::hash(&token).as_bytes();
        blocking(move || Ok(shared.hub().store().create_session(user, &hash, now_ms())?)).await?;
        self.attach(user, token).await
    }

    async fn attach(
        &mut self,
        user: lanchat_store::UserId,
        token: [u8; 32],
    ) -> Result<Reply, ErrorInfo> {
        let (alive, evicted) = oneshot::channel();
        let link = SessionLink {
            outbox: self.outbox.clone(),
            alive,
            remote: self.remote,
        };
        let shared = self.shared.clone();
        let (sid, reply) = blocking(move || shared.hub().open_session(user, token, link)).await?;
        self.session = Some(sid);
        self.evicted = Some(evicted);
        self.user = Some(user);
        Ok(reply)
    }

    async fn change_password(
        &mut self,
        sid: SessionId,
        old: String,
        new: String,
    ) -> Result<Reply, ErrorInfo> {
        let shared = self.shared.clone();
        blocking(move || {
            let (_, username) = shared.hub().session_user(sid).ok_or_else(|| {
                Refusal(ErrorInfo::new(
                    ErrorCode::NotAuthenticated,
                    "session has ended",
                ))
            })?;
            rules::check_password(&username, &new)?;
            let stored = shared.hub().store().user_by_name(&username)?;
            let Some((_, hash)) = stored else {
                return Err(
                    ErrorInfo::new(ErrorCode::NoSuchUser, "account no longer exists").into(),
                );
            };
            if !auth::verify_password(&old, &hash) {
                return Err(
                    ErrorInfo::new(ErrorCode::AuthFailed, "the current password is wrong").into(),
                );
            }
            let hash = auth::hash_password(&new)
                .map_err(|e| Refusal(ErrorInfo::new(ErrorCode::Internal, e)))?;
            shared.hub().reset_tokens(sid, &hash, now_ms())?;
            Ok(Reply::Ok)
        })
        .await
    }
}
