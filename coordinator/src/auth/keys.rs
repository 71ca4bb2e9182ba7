//! The coordinator's side of OPAQUE: its secret setup (an OPRF seed and a key pair, kept in
//! the data directory like the certificate's key) and the steps it answers.
//!
//! The setup is a secret of the office: with it and the database, guesses can be tested
//! offline, as with any password store; without the setup, the database alone is useless for
//! that. Losing it makes every OPAQUE record unusable (each user would have to be registered
//! again), so it is made once, on the first start, and kept.
use std::path::Path;

use lanchat_net::opaque::opaque_ke::{
    ServerLogin, ServerLoginParameters, ServerRegistration, ServerSetup,
};
use lanchat_net::opaque::{self, OpaqueBytes, OpaqueError, Suite};
use lanchat_net::protocol::ErrorCode;
use rand_core_06::OsRng;

use crate::hub::{err, Refusal};

/// File name of the OPAQUE setup inside the data directory (0600).
pub const SETUP_FILE: &str = "opaque_setup";

/// A login in progress: what the coordinator keeps between the two messages.
pub struct PendingLogin(ServerLogin<Suite>);

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingLogin")
    }
}

/// The coordinator's OPAQUE setup.
pub struct OpaqueKeys(ServerSetup<Suite>);

impl std::fmt::Debug for OpaqueKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpaqueKeys")
    }
}

/// A malformed OPAQUE message from the client.
fn bad(e: OpaqueError) -> Refusal {
    err(ErrorCode::BadRequest, e.to_string())
}

/// The name an account's OPRF key is derived from: the same however it is capitalised.
fn credential_id(username: &str) -> Vec<u8> {
    username.to_lowercase().into_bytes()
}

impl OpaqueKeys {
    /// A new random setup (tests, and the first start).
    pub fn generate() -> OpaqueKeys {
        OpaqueKeys(ServerSetup::new(&mut OsRng))
    }

    /// Loads the setup kept in `dir`, or makes one and keeps it there (readable by the owner
    /// only).
    pub fn load_or_create(dir: &Path) -> std::io::Result<OpaqueKeys> {
        let path = dir.join(SETUP_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => ServerSetup::deserialize(&bytes)
                .map(OpaqueKeys)
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} is not an OPAQUE setup: {e:?}", path.display()),
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = OpaqueKeys::generate();
                lanchat_net::tls::write_private(&path, &keys.0.serialize())?;
                Ok(keys)
            }
            Err(e) => Err(e),
        }
    }

    /// Answers a registration request for `username` (a new account, a migration, a new
    /// password).
    pub fn registration_response(
        &self,
        username: &str,
        request: &OpaqueBytes,
    ) -> Result<OpaqueBytes, Refusal> {
        let request = opaque::registration_request(request).map_err(bad)?;
        let started = ServerRegistration::start(&self.0, request, &credential_id(username))
            .map_err(|e| err(ErrorCode::BadRequest, format!("OPAQUE registration: {e:?}")))?;
        OpaqueBytes::new(started.message.serialize().to_vec()).map_err(bad)
    }

    /// Answers a credential request for `username` with its `record`, or, for an unknown
    /// name, with a fake record indistinguishable from a real one.
    pub fn login_start(
        &self,
        username: &str,
        record: Option<&[u8]>,
        request: &OpaqueBytes,
    ) -> Result<(PendingLogin, OpaqueBytes), Refusal> {
        let request = opaque::credential_request(request).map_err(bad)?;
        let record = match record {
            Some(bytes) => Some(opaque::stored_record(bytes).map_err(|e| {
                tracing::error!(user = username, "stored OPAQUE record unusable: {e}");
                err(
                    ErrorCode::Internal,
                    "this account's stored record is damaged",
                )
            })?),
            None => None,
        };
        let started = ServerLogin::start(
            &mut OsRng,
            &self.0,
            record,
            request,
            &credential_id(username),
            ServerLoginParameters::default(),
        )
        .map_err(|e| err(ErrorCode::BadRequest, format!("OPAQUE login: {e:?}")))?;
        let response = OpaqueBytes::new(started.message.serialize().to_vec()).map_err(bad)?;
        Ok((PendingLogin(started.state), response))
    }
}

impl PendingLogin {
    /// Checks the client's proof; false when it does not hold (a wrong password, a fake
    /// record).
    pub fn finish(self, finalization: &OpaqueBytes) -> Result<bool, Refusal> {
        let finalization = opaque::credential_finalization(finalization).map_err(bad)?;
        Ok(self
            .0
            .finish(finalization, ServerLoginParameters::default())
            .is_ok())
    }
}

/// The record a registration upload leaves, as the database keeps it.
pub fn record_of(upload: &OpaqueBytes) -> Result<Vec<u8>, Refusal> {
    let upload = opaque::registration_upload(upload).map_err(bad)?;
    Ok(ServerRegistration::<Suite>::finish(upload)
        .serialize()
        .to_vec())
}

#[cfg(test)]
mod tests {
    use lanchat_net::opaque::{LoggingIn, Registering};

    use super::*;

    const PASSWORD: &str = "correct horse battery";

    #[test]
    fn the_setup_is_made_once_kept_private_and_the_same_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let first = OpaqueKeys::load_or_create(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SETUP_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A record made before the restart opens after it.
        let (state, request) = Registering::start(PASSWORD).unwrap();
        let response = first.registration_response("alice", &request).unwrap();
        let record = record_of(&state.finish(PASSWORD, &response).unwrap()).unwrap();
        let again = OpaqueKeys::load_or_create(dir.path()).unwrap();
        let (login, request) = LoggingIn::start(PASSWORD).unwrap();
        // Capitalisation does not matter: the credential is the lower-case name.
        let (pending, response) = again.login_start("Alice", Some(&record), &request).unwrap();
        let finalization = login.finish(PASSWORD, &response).unwrap();
        assert!(pending.finish(&finalization).unwrap());
        // A damaged file is an error, not a new setup that would void every record.
        std::fs::write(dir.path().join(SETUP_FILE), b"junk").unwrap();
        assert!(OpaqueKeys::load_or_create(dir.path()).is_err());
    }
}
