//! Changing the password on a logged-in connection, the OPAQUE way: the client proves the
//! current password (a login exchange against the stored record) and registers the new one in
//! the same two requests. A session alone (say, a stolen token) cannot change the password, and
//! guessing the current one is throttled like any login.
use std::net::IpAddr;

use lanchat_net::opaque::OpaqueBytes;
use lanchat_net::protocol::{ErrorCode, Reply};
use lanchat_store::Credential;

use super::accounts::{check_throttle, Step};
use super::{Context, Gate};
use crate::auth::keys::record_of;
use crate::hub::{err, Refusal, SessionId};
use crate::lock::lock;

impl Gate {
    /// Answers both halves: the credential response for the current password and the
    /// registration response for the new one. Counts as a failed attempt until it finishes.
    pub(super) fn password_start(
        &mut self,
        cx: Context<'_>,
        ip: IpAddr,
        session: SessionId,
        login: &OpaqueBytes,
        registration: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        self.step = None;
        let username = session_username(cx, session)?;
        check_throttle(cx, &username, ip, now_ms)?;
        let record = match lock(cx.hub).store().credential(&username)? {
            Some((_, Credential::Opaque(record))) => record,
            Some((_, Credential::Legacy(_))) => {
                return Err(err(
                    ErrorCode::BadRequest,
                    "this account still has a password from before OPAQUE; log out and log \
                     in again (that upgrades it), then change the password",
                ))
            }
            None => return Err(err(ErrorCode::NoSuchUser, "account no longer exists")),
        };
        let keys = &cx.accounts.keys;
        let registration = keys.registration_response(&username, registration)?;
        let (pending, login) = keys.login_start(&username, Some(&record), login)?;
        lock(&cx.accounts.throttle).attempt(&username, ip, now_ms);
        self.step = Some(Step::ChangingPassword {
            pending: Box::new(pending),
        });
        Ok(Reply::PasswordResponse {
            login,
            registration,
        })
    }

    /// Checks the proof of the current password, keeps the new record, and ends every other
    /// session of the user.
    pub(super) fn password_finish(
        &mut self,
        cx: Context<'_>,
        ip: IpAddr,
        session: SessionId,
        finalization: &OpaqueBytes,
        upload: &OpaqueBytes,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let Some(Step::ChangingPassword { pending }) = self.step.take() else {
            return Err(err(
                ErrorCode::BadRequest,
                "PasswordFinish does not follow a PasswordStart on this connection",
            ));
        };
        let record = record_of(upload)?;
        if !pending.finish(finalization)? {
            return Err(err(ErrorCode::AuthFailed, "the current password is wrong"));
        }
        let username = session_username(cx, session)?;
        lock(&cx.accounts.throttle).succeeded(&username, ip);
        lock(cx.hub).reset_tokens(session, &record, now_ms)?;
        tracing::info!(user = username, "password changed");
        Ok(Reply::Ok)
    }
}

fn session_username(cx: Context<'_>, session: SessionId) -> Result<String, Refusal> {
    lock(cx.hub)
        .session_user(session)
        .map(|(_, name)| name)
        .ok_or_else(|| err(ErrorCode::NotAuthenticated, "session has ended"))
}
