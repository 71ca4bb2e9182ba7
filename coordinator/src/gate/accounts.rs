//! Accounts on a connection: registering and logging in with OPAQUE (throttled), upgrading a
//! legacy account, resuming a session with its token, logging out.
//!
//! Each OPAQUE exchange takes two requests; what the coordinator keeps in between is the
//! connection's [`Step`]. A second message that does not follow its first is a `BadRequest`,
//! as is a malformed OPAQUE message. Nothing here hashes a password except a legacy account's
//! one check, on the password-hashing pool; throttled attempts are refused before any work.
use std::net::{IpAddr, SocketAddr};

use lanchat_net::opaque::OpaqueBytes;
use lanchat_net::policy::MAX_PASSWORD_BYTES;
use lanchat_net::protocol::{ErrorCode, Reply};
use lanchat_store::{Credential, StoreError, UserId};
use tokio::sync::oneshot;

use super::{Close, Context, Gate, Login, SESSION_MAX_IDLE_MS};
use crate::auth::backoff::Throttled;
use crate::auth::keys::{record_of, PendingLogin};
use crate::hub::{err, Outbox, Refusal, SessionLink};
use crate::lock::lock;
use crate::rules;

/// An account step half done on a connection.
#[derive(Debug)]
pub(super) enum Step {
    /// A registration was answered; its upload creates the account.
    Registering { username: String },
    /// A login was answered; its finalization proves the password. `user` is `None` for an
    /// unknown name (answered with a fake record: no finalization can succeed).
    LoggingIn {
        username: String,
        user: Option<UserId>,
        pending: Box<PendingLogin>,
    },
    /// The account has only a legacy hash; the password may come once.
    Legacy {
        username: String,
        user: UserId,
        hash: String,
    },
    /// The legacy password checked out; the registration upload replaces the hash.
    Upgrading { username: String, user: UserId },
    /// A password change was answered (see `password`).
    ChangingPassword { pending: Box<PendingLogin> },
}

/// The same answer for a wrong password and an unknown name.
pub(super) fn auth_failed() -> Refusal {
    err(ErrorCode::AuthFailed, "invalid username or password")
}

fn out_of_order(what: &str) -> Refusal {
    err(
        ErrorCode::BadRequest,
        format!("{what} does not follow a step this connection started"),
    )
}

/// Refuses a throttled attempt (before any work), saying until when.
pub(super) fn check_throttle(
    cx: Context<'_>,
    username: &str,
    ip: IpAddr,
    now_ms: i64,
) -> Result<(), Refusal> {
    lock(&cx.accounts.throttle)
        .check(username, ip, now_ms)
        .map_err(|t: Throttled| {
            tracing::info!(%ip, user = username, wait_ms = t.wait_ms, "login throttled");
            err(ErrorCode::RateLimited, t.message(username, ip))
        })
}

impl Gate {
    /// Answers the first half of a registration, if the name is free.
    pub(super) fn register_start(
        &mut self,
        cx: Context<'_>,
        username: String,
        request: &OpaqueBytes,
    ) -> Result<Reply, Refusal> {
        self.step = None;
        rules::check_username(&username)?;
        if lock(cx.hub).store().credential(&username)?.is_some() {
            return Err(taken(&username));
        }
        // Checked again when the account is made; here so a look-alike costs no round trip.
        let lookalikes = lock(cx.hub).store().users_looking_like(&username)?;
        if let Some(existing) = lookalikes.first() {
            return Err(looks_like(&username, &existing.username));
        }
        let response = cx.accounts.keys.registration_response(&username, request)?;
        self.step = Some(Step::Registering { username });
        Ok(Reply::RegisterResponse { response })
    }

    /// Keeps the record: creates the account (or upgrades a legacy one), then its session.
    pub(super) fn register_finish(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        upload: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        match self.step.take() {
            Some(Step::Registering { username }) => {
                let record = record_of(upload)?;
                let created = lock(cx.hub)
                    .store()
                    .create_opaque_user(&username, &username, &record, now_ms);
                let user = created.map_err(|e| match e {
                    StoreError::UsernameTaken => taken(&username),
                    StoreError::UsernameLooksLike { existing } => looks_like(&username, &existing),
                    other => Refusal::from(other),
                })?;
                tracing::info!(user = %user.username, "registered");
                self.open(cx, at, user.id, now_ms)
            }
            Some(Step::Upgrading { username, user }) => {
                let record = record_of(upload)?;
                lock(cx.hub).store().set_opaque_record(user, &record)?;
                lock(&cx.accounts.throttle).succeeded(&username, at.remote.ip());
                tracing::info!(user = username, "legacy account upgraded to OPAQUE");
                self.open(cx, at, user, now_ms)
            }
            _ => Err(out_of_order("RegisterFinish")),
        }
    }

    /// Answers the first half of a login: a credential response (a fake one for an unknown
    /// name, indistinguishable), or LegacyAccount. Counts as a failed attempt until the login
    /// finishes.
    pub(super) fn login_start(
        &mut self,
        cx: Context<'_>,
        ip: IpAddr,
        username: String,
        request: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        self.step = None;
        check_throttle(cx, &username, ip, now_ms)?;
        let found = lock(cx.hub).store().credential(&username)?;
        let (user, record) = match found {
            Some((user, Credential::Legacy(hash))) => {
                lock(&cx.accounts.throttle).attempt(&username, ip, now_ms);
                self.step = Some(Step::Legacy {
                    username,
                    user: user.id,
                    hash,
                });
                return Ok(Reply::LegacyAccount);
            }
            Some((user, Credential::Opaque(record))) => (Some(user.id), Some(record)),
            None => (None, None),
        };
        let (pending, response) =
            cx.accounts
                .keys
                .login_start(&username, record.as_deref(), request)?;
        lock(&cx.accounts.throttle).attempt(&username, ip, now_ms);
        self.step = Some(Step::LoggingIn {
            username,
            user,
            pending: Box::new(pending),
        });
        Ok(Reply::LoginResponse { response })
    }

    /// Checks the client's proof and opens the session.
    pub(super) fn login_finish(
        &mut self,
        cx: Context<'_>,
        at: Line<'_>,
        finalization: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let Some(Step::LoggingIn {
            username,
            user,
            pending,
        }) = self.step.take()
        else {
            return Err(out_of_order("LoginFinish"));
        };
        match (pending.finish(finalization)?, user) {
            (true, Some(user)) => {
                lock(&cx.accounts.throttle).succeeded(&username, at.remote.ip());
                self.open(cx, at, user, now_ms)
            }
            _ => {
                tracing::info!(remote = %at.remote, user = %username, "login refused");
                Err(auth_failed())
            }
        }
    }

    /// A legacy account's password, checked once against its Argon2 hash (on the bounded
    /// pool), then the registration that replaces the hash is answered.
    pub(super) fn legacy_login(
        &mut self,
        cx: Context<'_>,
        ip: IpAddr,
        password: String,
        request: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let Some(Step::Legacy {
            username,
            user,
            hash,
        }) = self.step.take()
        else {
            return Err(out_of_order("LegacyLogin"));
        };
        check_throttle(cx, &username, ip, now_ms)?;
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(auth_failed());
        }
        // Checked before the slow part, so a malformed request costs no hashing.
        let response = cx.accounts.keys.registration_response(&username, request)?;
        let good = cx
            .accounts
            .work
            .run(move |hasher| hasher.verify(&password, &hash))
            .map_err(|e| err(ErrorCode::RateLimited, e.to_string()))?;
        if !good {
            tracing::info!(%ip, user = %username, "legacy login refused");
            return Err(auth_failed());
        }
        self.step = Some(Step::Upgrading { username, user });
        Ok(Reply::RegisterResponse { response })
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

fn looks_like(username: &str, existing: &str) -> Refusal {
    err(
        ErrorCode::UsernameTaken,
        format!("the username {username} looks like the existing user {existing}"),
    )
}

fn taken(username: &str) -> Refusal {
    err(
        ErrorCode::UsernameTaken,
        format!("the username {username} is already taken"),
    )
}

/// Where the connection is: what a session opened on it needs.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    pub(super) remote: SocketAddr,
    pub(super) outbox: &'a Outbox,
}
