//! "Keep me signed in": the session token kept across runs, for one coordinator.
//!
//! The core decides when the token is kept or forgotten and says so with
//! [`Action::SaveSession`] / [`Action::ForgetSession`]; the driver owns the file
//! ([`crate::remembered`]). A kept token is handled exactly like the one of a login in this
//! run: it is presented only to the coordinator whose fingerprint issued it, so a rogue
//! coordinator (even one announcing the same name) never sees it.
use lanchat_net::fingerprint::Fingerprint;

use super::{Action, Core, Token};

/// A session kept across runs: who, the token, and the coordinator that issued it.
#[derive(Clone, PartialEq, Eq)]
pub struct SavedSession {
    /// The username it belongs to (shown while resuming; the coordinator decides the user).
    pub username: String,
    /// The fingerprint of the coordinator that issued the token: the only one it goes to.
    pub issuer: Fingerprint,
    /// The bearer token.
    pub token: [u8; 32],
}

impl std::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a password: never in logs.
        f.debug_struct("SavedSession")
            .field("username", &self.username)
            .field("issuer", &self.issuer.short())
            .finish_non_exhaustive()
    }
}

impl Core {
    /// Starts with a session kept by an earlier run: once connected to its issuer, the core
    /// resumes it instead of waiting for a password. A refused resume is reported (an error
    /// for the command "resume") and the saved session is forgotten.
    pub fn restore_session(&mut self, saved: SavedSession) {
        self.token = Some(Token {
            issuer: saved.issuer,
            token: saved.token,
        });
        self.saved = Some(saved);
        self.after();
    }

    /// The front end switched "keep me signed in" on or off.
    pub(super) fn set_remember(&mut self, on: bool) {
        self.config.remember_session = on;
        if !on {
            self.forget_session();
        } else if let (Some(t), Some(username)) = (self.token, self.logged_in_user.clone()) {
            self.keep_session(t, username);
        }
    }

    /// After a login: keep the session if asked to (and it changed).
    pub(super) fn keep_session(&mut self, token: Token, username: String) {
        if !self.config.remember_session {
            return;
        }
        let saved = SavedSession {
            username,
            issuer: token.issuer,
            token: token.token,
        };
        if self.saved.as_ref() != Some(&saved) {
            self.saved = Some(saved.clone());
            self.actions.push_back(Action::SaveSession(saved));
        }
    }

    /// Signed out, or the kept token was refused: the next start asks for the password.
    pub(super) fn forget_session(&mut self) {
        self.saved = None;
        self.actions.push_back(Action::ForgetSession);
    }

    /// The session this run keeps on disk, if any.
    pub fn saved_session(&self) -> Option<&SavedSession> {
        self.saved.as_ref()
    }
}
