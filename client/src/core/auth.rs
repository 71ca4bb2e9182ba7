//! Logging in, registering and changing the password with OPAQUE: the password stays here.
//!
//! Each is two round trips: the first message blinds the password, the coordinator answers,
//! and the client finishes (running Argon2id, the suite's key stretching: ~60 ms optimized, on
//! the engine thread; it happens once per login, when there is nothing else to do) and sends
//! its proof or its new record. A wrong password is found here, when the coordinator's answer
//! does not open: nothing more is sent, and the user hears why.
//!
//! A legacy account (an Argon2 hash from before OPAQUE) is upgraded at its next login, which
//! shows the password to the coordinator once. That is done only with a coordinator that was
//! pinned before this run started (never a first contact, never a key that rolled over during
//! this run), and never with a coordinator this user has logged in to with OPAQUE before (see
//! [`super::OpaqueLogins`]): such a "legacy" answer is a downgrade attack and is refused loudly.
use lanchat_net::opaque::{LoggingIn, OpaqueBytes, OpaqueError, Registering};
use lanchat_net::policy::check_password;
use lanchat_net::protocol::{ErrorCode, ErrorInfo, Reply, Request};

use super::{Action, Core, Credentials, Pending, Phase};

/// A password change waiting for the coordinator's answer.
pub(super) struct PasswordChange {
    old: String,
    new: String,
    login: LoggingIn,
    registration: Registering,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange")
    }
}

/// A new password waiting for the coordinator to confirm the change (never printed).
pub(super) struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword")
    }
}

/// What the user hears when the password does not open the coordinator's answer.
const WRONG: &str = "invalid username or password";

impl Core {
    /// Sends the first message of a registration or a login.
    pub(super) fn start_auth(&mut self, c: Credentials) {
        if c.register {
            if let Err(e) = check_password(&c.username, &c.password) {
                self.credentials = None;
                self.error(Some(e.code), e.message, Some("register"));
                return;
            }
            match Registering::start(&c.password) {
                Ok((state, request)) => self.request(
                    Request::RegisterStart {
                        username: c.username,
                        request,
                    },
                    Pending::RegisterStart(Box::new(state)),
                ),
                Err(e) => self.auth_failed(None, e.to_string(), "register"),
            }
        } else {
            match LoggingIn::start(&c.password) {
                Ok((state, request)) => self.request(
                    Request::LoginStart {
                        username: c.username,
                        request,
                    },
                    Pending::LoginStart(Box::new(state)),
                ),
                Err(e) => self.auth_failed(None, e.to_string(), "login"),
            }
        }
    }

    /// Starts a password change (logged in): the new password must pass the policy.
    pub(super) fn change_password(&mut self, old: String, new: String) {
        let username = self.username().unwrap_or_default();
        if let Err(e) = check_password(&username, &new) {
            self.error(Some(e.code), e.message, Some("passwd"));
            return;
        }
        let started = LoggingIn::start(&old)
            .and_then(|(login, l)| Registering::start(&new).map(|(reg, r)| (login, l, reg, r)));
        match started {
            Ok((login, l, registration, r)) => self.request(
                Request::PasswordStart {
                    login: l,
                    registration: r,
                },
                Pending::PasswordStart(Box::new(PasswordChange {
                    old,
                    new,
                    login,
                    registration,
                })),
            ),
            Err(e) => self.error(None, e.to_string(), Some("passwd")),
        }
    }

    /// Handles the answer to an OPAQUE first message; anything else is handed back.
    pub(super) fn auth_reply(
        &mut self,
        pending: Pending,
        result: Result<Reply, ErrorInfo>,
    ) -> Option<(Pending, Result<Reply, ErrorInfo>)> {
        match (pending, result) {
            (Pending::RegisterStart(state), Ok(Reply::RegisterResponse { response })) => {
                self.finish_registration(*state, &response, true)
            }
            (Pending::Upgrade(state), Ok(Reply::RegisterResponse { response })) => {
                self.finish_registration(*state, &response, false)
            }
            (Pending::LoginStart(state), Ok(Reply::LoginResponse { response })) => {
                self.finish_login(*state, &response)
            }
            (Pending::LoginStart(_), Ok(Reply::LegacyAccount)) => self.upgrade(),
            (
                Pending::PasswordStart(change),
                Ok(Reply::PasswordResponse {
                    login,
                    registration,
                }),
            ) => self.finish_password_change(*change, &login, &registration),
            (
                pending
                @ (Pending::RegisterStart(_) | Pending::Upgrade(_) | Pending::LoginStart(_)),
                Err(e),
            ) => {
                let command = pending.command();
                self.auth_failed(Some(e.code), e.message, &command);
            }
            (other, result) => return Some((other, result)),
        }
        None
    }

    fn finish_registration(&mut self, state: Registering, response: &OpaqueBytes, register: bool) {
        let Some(c) = self.credentials.clone() else {
            return;
        };
        match state.finish(&c.password, response) {
            Ok(upload) => self.request(
                Request::RegisterFinish { upload },
                Pending::Auth { register },
            ),
            Err(e) => {
                let command = if register { "register" } else { "login" };
                self.auth_failed(None, e.to_string(), command);
            }
        }
    }

    fn finish_login(&mut self, state: LoggingIn, response: &OpaqueBytes) {
        let Some(c) = self.credentials.clone() else {
            return;
        };
        match state.finish(&c.password, response) {
            Ok(finalization) => self.request(
                Request::LoginFinish { finalization },
                Pending::Auth { register: false },
            ),
            Err(OpaqueError::WrongPassword) => {
                self.auth_failed(Some(ErrorCode::AuthFailed), WRONG.into(), "login")
            }
            Err(e) => self.auth_failed(None, e.to_string(), "login"),
        }
    }

    /// The coordinator says the account is a legacy one: upgrade it, if this coordinator may
    /// see the password once (see the module documentation).
    fn upgrade(&mut self) {
        let (Some(c), Phase::Connected(link)) = (self.credentials.clone(), &self.phase) else {
            return;
        };
        let (fingerprint, name) = (link.fingerprint, link.name.clone());
        if self.opaque_logins.contains(&fingerprint, &c.username) {
            let message = format!(
                "coordinator '{name}' ({}) asked for {}'s password in the clear, but this client \
                 has logged in there with OPAQUE before: refused (a downgrade attack, or the \
                 coordinator's database was restored from an old backup; ask its administrator)",
                fingerprint.short(),
                c.username
            );
            tracing::warn!("{message}");
            self.auth_failed(None, message, "login");
            return;
        }
        if !self.pinned_at_start.contains(&fingerprint) {
            let message = format!(
                "{}'s account on '{name}' must be upgraded, which shows the password to the \
                 coordinator once; this client does that only with a coordinator it knew before \
                 it started. It knows this one now: restart and log in again",
                c.username
            );
            self.auth_failed(None, message, "login");
            return;
        }
        match Registering::start(&c.password) {
            Ok((state, request)) => self.request(
                Request::LegacyLogin {
                    password: c.password,
                    request,
                },
                Pending::Upgrade(Box::new(state)),
            ),
            Err(e) => self.auth_failed(None, e.to_string(), "login"),
        }
    }

    fn finish_password_change(
        &mut self,
        change: PasswordChange,
        login: &OpaqueBytes,
        registration: &OpaqueBytes,
    ) {
        let PasswordChange {
            old,
            new,
            login: login_state,
            registration: registration_state,
        } = change;
        let finalization = match login_state.finish(&old, login) {
            Ok(f) => f,
            Err(OpaqueError::WrongPassword) => {
                let message = "the current password is wrong";
                self.error(Some(ErrorCode::AuthFailed), message, Some("passwd"));
                return;
            }
            Err(e) => return self.error(None, e.to_string(), Some("passwd")),
        };
        match registration_state.finish(&new, registration) {
            Ok(upload) => {
                let request = Request::PasswordFinish {
                    finalization,
                    upload,
                };
                self.request(request, Pending::PasswordFinish(NewPassword(new)));
            }
            Err(e) => self.error(None, e.to_string(), Some("passwd")),
        }
    }

    /// The coordinator confirmed the password change: logging in again uses the new one.
    pub(super) fn password_changed(&mut self, new: NewPassword) {
        if let Some(c) = &mut self.credentials {
            c.password = new.0;
        }
        self.emit(super::Event::Done {
            command: "passwd".into(),
        });
    }

    /// Logged in with OPAQUE (or upgraded to it): remember the pair, across runs.
    pub(super) fn note_opaque_login(&mut self, username: &str) {
        let Phase::Connected(link) = &self.phase else {
            return;
        };
        if self.opaque_logins.insert(link.fingerprint, username) {
            let logins = self.opaque_logins.clone();
            self.actions.push_back(Action::SaveOpaqueLogins(logins));
        }
    }

    /// The login or registration failed: forget the password (it is not tried again) and say
    /// why.
    fn auth_failed(&mut self, code: Option<ErrorCode>, message: String, command: &str) {
        self.credentials = None;
        self.error(code, message, Some(command));
    }

    fn username(&self) -> Option<String> {
        self.credentials.as_ref().map(|c| c.username.clone())
    }
}
