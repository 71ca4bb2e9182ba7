//! Accounts on a connection: registering, logging in with a password (throttled), resuming a
//! session with its token, logging out, changing the password. Argon2 runs here, never under
//! the hub's lock.
use std::net::SocketAddr;

use lanchat_net::protocol::{ErrorCode, Reply};
use lanchat_store::{Reads as _, StoreError, UserId};
use tokio::sync::oneshot;

use super::{Close, Context, Gate, Login, SESSION_MAX_IDLE_MS};
use crate::auth;
use crate::hub::{err, Outbox, Refusal, SessionId, SessionLink};
use crate::lock::lock;
use crate::rules;

impl Gate {
    /// Creates the account, then opens its session.
    pub(super) fn register(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        username: String,
        password: String,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        rules::check_username(&username)?;
        rules::check_password(&username, &password)?;
        let hash = auth::hash_password(&password).map_err(internal)?;
        let created = lock(cx.hub)
            .store()
            .create_user(&username, &username, &hash, now_ms);
        let user = created.map_err(|e| match e {
            StoreError::UsernameTaken => err(
                ErrorCode::UsernameTaken,
                format!("the username {username} is already taken"),
            ),
            StoreError::UsernameLooksLike { existing } => err(
                ErrorCode::UsernameTaken,
                format!("the username {username} looks like the existing user {existing}"),
            ),
            other => Refusal::from(other),
        })?;
        tracing::info!(user = %user.username, "registered");
        self.open(cx, at, user.id, now_ms)
    }

    /// Checks the password (Argon2 runs even for an unknown name or a throttled one, so
    /// neither answers faster), counts a failure, and opens a session.
    pub(super) fn log_in(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        username: String,
        password: String,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let ip = at.remote.ip();
        let allowed = lock(cx.throttle).allowed(&username, ip, now_ms);
        let record = lock(cx.hub).store().user_by_name(&username)?;
        // Always run Argon2, so neither an unknown name nor throttling answers faster.
        let (hash, user) = match &record {
            Some((user, hash)) => (hash.as_str(), Some(user.id)),
            None => (auth::dummy_hash(), None),
        };
        let good = auth::verify_password(&password, hash) && allowed;
        if !good && allowed {
            lock(cx.throttle).failed(&username, ip, now_ms);
        }
        match user.filter(|_| good) {
            Some(user) => self.open(cx, at, user, now_ms),
            None => {
                tracing::info!(remote = %at.remote, user = %username, "login refused");
                Err(err(
                    ErrorCode::AuthFailed,
                    "invalid username or password (or too many attempts; wait a minute)",
                ))
            }
        }
    }

    /// Opens a session with the token of an earlier one, if it is still valid.
    pub(super) fn resume(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        token: [u8; 32],
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let hash = *blake3::hash(&token).as_bytes();
        let user = lock(cx.hub)
            .store()
            .session_user(&hash, now_ms, SESSION_MAX_IDLE_MS)?
            .ok_or_else(|| {
                err(
                    ErrorCode::SessionExpired,
                    "the session has expired; log in with your password",
                )
            })?;
        self.attach(cx, at, user, token)
    }

    /// A new session token for `user`, then the session.
    fn open(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        user: UserId,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let mut token = [0u8; 32];
        rand::fill(&mut token);
        let hash = *blake3::hash(&token).as_bytes();
        lock(cx.hub).store().create_session(user, &hash, now_ms)?;
        self.attach(cx, at, user, token)
    }

    /// Opens the hub's session for `user` on this connection.
    fn attach(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        user: UserId,
        token: [u8; 32],
    ) -> Result<Reply, Refusal> {
        let (alive, evicted) = oneshot::channel();
        let link = SessionLink {
            outbox: at.outbox.clone(),
            alive,
            remote: at.remote,
        };
        let (session, reply) = lock(cx.hub).open_session(user, token, link)?;
        self.login = Some(Login { session, user });
        self.evicted = Some(evicted);
        Ok(reply)
    }

    /// Ends the session and forgets its token; the connection closes after the reply.
    pub(super) fn log_out(&mut self, cx: Context<'_>, login: Login) -> Result<Reply, Refusal> {
        {
            let mut hub = lock(cx.hub);
            if let Some((user, _)) = hub.session_user(login.session) {
                // A logged-out sender can no longer deliver the files it offered.
                hub.withdraw_offers_of(user);
            }
            hub.forget_token(login.session)?;
            hub.close_session(login.session);
        }
        self.login = None;
        self.evicted = None;
        self.closing = Some(Close::LOGGED_OUT);
        Ok(Reply::Ok)
    }
}

/// Where the connection is: what a session opened on it needs.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    pub(super) remote: SocketAddr,
    pub(super) outbox: &'a Outbox,
}

/// Changes the password of `session`'s user; every other session's token stops working.
pub(super) fn change_password(
    cx: Context<'_>,
    session: SessionId,
    old: &str,
    new: &str,
    now_ms: i64,
) -> Result<Reply, Refusal> {
    let (_, username) = lock(cx.hub)
        .session_user(session)
        .ok_or_else(|| err(ErrorCode::NotAuthenticated, "session has ended"))?;
    rules::check_password(&username, new)?;
    let stored = lock(cx.hub).store().user_by_name(&username)?;
    let Some((_, hash)) = stored else {
        return Err(err(ErrorCode::NoSuchUser, "account no longer exists"));
    };
    if !auth::verify_password(old, &hash) {
        return Err(err(ErrorCode::AuthFailed, "the current password is wrong"));
    }
    let hash = auth::hash_password(new).map_err(internal)?;
    lock(cx.hub).reset_tokens(session, &hash, now_ms)?;
    Ok(Reply::Ok)
}

fn internal(message: String) -> Refusal {
    err(ErrorCode::Internal, message)
}
