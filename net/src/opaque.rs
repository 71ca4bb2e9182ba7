//! OPAQUE (RFC 9807): how a password proves itself without leaving the client.
//!
//! Registration leaves the coordinator an OPAQUE *record* (the client's public key and an
//! envelope sealed under a key only the password and the coordinator's OPRF key together can
//! rebuild); login is a key exchange in which the client opens its envelope. The password is
//! never sent, and a coordinator that does not hold the user's record (a rogue one) sees only a
//! blinded, uniformly random group element: nothing it can test a guess against.
//!
//! This module fixes the cipher suite ([`Suite`]: Ristretto255, TripleDH with SHA-512,
//! Argon2id as the key-stretching function), the bounded byte vectors that carry the
//! serialized messages on the wire ([`OpaqueBytes`]), the checked decoders (lengths first,
//! then opaque-ke's own parsing: a malformed message is an [`OpaqueError`], never a panic) and
//! the client's two flows, sans I/O: [`Registering`] and [`LoggingIn`]. The coordinator's side
//! lives in the coordinator; both use the same suite through this module.
// Untrusted bytes pass through here: no panicking shortcuts.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
use opaque_ke::generic_array::typenum::Unsigned;
use opaque_ke::{
    ClientLoginFinishParameters, ClientRegistrationFinishParameters, CredentialFinalization,
    CredentialFinalizationLen, CredentialRequest, CredentialRequestLen, CredentialResponse,
    CredentialResponseLen, RegistrationRequest, RegistrationRequestLen, RegistrationResponse,
    RegistrationResponseLen, RegistrationUpload, RegistrationUploadLen, ServerRegistration,
    ServerRegistrationLen,
};
use rand_core_06::OsRng;
use serde::{Deserialize, Serialize};

pub use opaque_ke;

/// The cipher suite every lanchat client and coordinator uses.
#[derive(Debug, Clone, Copy)]
pub struct Suite;

impl opaque_ke::CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2_010::Sha512>;
    /// Argon2id with the argon2 crate's defaults (m = 19 MiB, t = 2, p = 1), on the client.
    type Ksf = opaque_ke::argon2::Argon2<'static>;
}

/// Longest serialized OPAQUE message accepted on the wire. The largest of the suite's messages
/// (the credential response) is 320 bytes; see the test `every_message_fits`.
pub const MAX_OPAQUE_BYTES: usize = 512;

/// A serialized OPAQUE message, at most [`MAX_OPAQUE_BYTES`] long (longer ones are refused
/// while the frame is decoded).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<u8>")]
pub struct OpaqueBytes(Vec<u8>);

impl OpaqueBytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Wraps bytes that fit ([`MAX_OPAQUE_BYTES`]).
    pub fn new(bytes: Vec<u8>) -> Result<OpaqueBytes, OpaqueError> {
        OpaqueBytes::try_from(bytes)
    }
}

impl TryFrom<Vec<u8>> for OpaqueBytes {
    type Error = OpaqueError;

    fn try_from(bytes: Vec<u8>) -> Result<Self, Self::Error> {
        if bytes.len() > MAX_OPAQUE_BYTES {
            return Err(OpaqueError::TooLong { len: bytes.len() });
        }
        Ok(OpaqueBytes(bytes))
    }
}

impl std::fmt::Debug for OpaqueBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueBytes({} bytes)", self.0.len())
    }
}

/// Why an OPAQUE step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpaqueError {
    /// A message longer than [`MAX_OPAQUE_BYTES`].
    #[error("OPAQUE message of {len} bytes exceeds the limit of {MAX_OPAQUE_BYTES} bytes")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A message of the wrong length or that does not parse.
    #[error("malformed OPAQUE {what} ({len} bytes, expected {expected})")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
    },
    /// The envelope did not open: a wrong password, or a coordinator that does not hold this
    /// account's record.
    #[error("wrong password (or this coordinator does not hold the account)")]
    WrongPassword,
    /// The protocol failed for another reason (the library says which).
    #[error("OPAQUE failed: {0}")]
    Protocol(String),
}

/// Checks the length of `bytes`, then parses them with `parse`.
fn decode<T, E>(
    what: &'static str,
    bytes: &[u8],
    expected: usize,
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<T, OpaqueError> {
    let malformed = || OpaqueError::Malformed {
        what,
        len: bytes.len(),
        expected,
    };
    if bytes.len() != expected {
        return Err(malformed());
    }
    parse(bytes).map_err(|_| malformed())
}

fn wire(bytes: &[u8]) -> Result<OpaqueBytes, OpaqueError> {
    OpaqueBytes::new(bytes.to_vec())
}

/// The first registration message (client → coordinator).
pub fn registration_request(b: &OpaqueBytes) -> Result<RegistrationRequest<Suite>, OpaqueError> {
    let n = RegistrationRequestLen::<Suite>::USIZE;
    decode(
        "registration request",
        b.as_bytes(),
        n,
        RegistrationRequest::deserialize,
    )
}

/// The coordinator's answer to a registration request.
pub fn registration_response(b: &OpaqueBytes) -> Result<RegistrationResponse<Suite>, OpaqueError> {
    let n = RegistrationResponseLen::<Suite>::USIZE;
    decode(
        "registration response",
        b.as_bytes(),
        n,
        RegistrationResponse::deserialize,
    )
}

/// The last registration message: the record to keep (client → coordinator).
pub fn registration_upload(b: &OpaqueBytes) -> Result<RegistrationUpload<Suite>, OpaqueError> {
    let n = RegistrationUploadLen::<Suite>::USIZE;
    decode(
        "registration upload",
        b.as_bytes(),
        n,
        RegistrationUpload::deserialize,
    )
}

/// A stored record, as the coordinator's database keeps it.
pub fn stored_record(bytes: &[u8]) -> Result<ServerRegistration<Suite>, OpaqueError> {
    let n = ServerRegistrationLen::<Suite>::USIZE;
    decode("stored record", bytes, n, ServerRegistration::deserialize)
}

/// The first login message (client → coordinator).
pub fn credential_request(b: &OpaqueBytes) -> Result<CredentialRequest<Suite>, OpaqueError> {
    let n = CredentialRequestLen::<Suite>::USIZE;
    decode(
        "credential request",
        b.as_bytes(),
        n,
        CredentialRequest::deserialize,
    )
}

/// The coordinator's answer to a credential request.
pub fn credential_response(b: &OpaqueBytes) -> Result<CredentialResponse<Suite>, OpaqueError> {
    let n = CredentialResponseLen::<Suite>::USIZE;
    decode(
        "credential response",
        b.as_bytes(),
        n,
        CredentialResponse::deserialize,
    )
}

/// The last login message: the client's proof (client → coordinator).
pub fn credential_finalization(
    b: &OpaqueBytes,
) -> Result<CredentialFinalization<Suite>, OpaqueError> {
    let n = CredentialFinalizationLen::<Suite>::USIZE;
    decode(
        "credential finalization",
        b.as_bytes(),
        n,
        CredentialFinalization::deserialize,
    )
}

/// A registration in progress on the client (also a password change's new password).
pub struct Registering(opaque_ke::ClientRegistration<Suite>);

impl std::fmt::Debug for Registering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registering")
    }
}

impl Registering {
    /// Blinds the password: the state to keep, and the request to send.
    pub fn start(password: &str) -> Result<(Registering, OpaqueBytes), OpaqueError> {
        let started =
            opaque_ke::ClientRegistration::<Suite>::start(&mut OsRng, password.as_bytes())
                .map_err(|e| OpaqueError::Protocol(format!("{e:?}")))?;
        let request = wire(&started.message.serialize())?;
        Ok((Registering(started.state), request))
    }

    /// Seals the envelope with the coordinator's answer (runs Argon2id): the record to upload.
    pub fn finish(
        self,
        password: &str,
        response: &OpaqueBytes,
    ) -> Result<OpaqueBytes, OpaqueError> {
        let response = registration_response(response)?;
        let finished = self
            .0
            .finish(
                &mut OsRng,
                password.as_bytes(),
                response,
                ClientRegistrationFinishParameters::default(),
            )
            .map_err(|e| OpaqueError::Protocol(format!("{e:?}")))?;
        wire(&finished.message.serialize())
    }
}

/// A login in progress on the client.
pub struct LoggingIn(opaque_ke::ClientLogin<Suite>);

impl std::fmt::Debug for LoggingIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoggingIn")
    }
}

impl LoggingIn {
    /// Blinds the password: the state to keep, and the request to send.
    pub fn start(password: &str) -> Result<(LoggingIn, OpaqueBytes), OpaqueError> {
        let started = opaque_ke::ClientLogin::<Suite>::start(&mut OsRng, password.as_bytes())
            .map_err(|e| OpaqueError::Protocol(format!("{e:?}")))?;
        let request = wire(&started.message.serialize())?;
        Ok((LoggingIn(started.state), request))
    }

    /// Opens the envelope with the coordinator's answer (runs Argon2id) and proves it: the
    /// finalization to send. [`OpaqueError::WrongPassword`] when the envelope does not open,
    /// and then nothing is sent at all.
    pub fn finish(
        self,
        password: &str,
        response: &OpaqueBytes,
    ) -> Result<OpaqueBytes, OpaqueError> {
        let response = credential_response(response)?;
        let finished = self
            .0
            .finish(
                &mut OsRng,
                password.as_bytes(),
                response,
                ClientLoginFinishParameters::default(),
            )
            .map_err(|e| match e {
                opaque_ke::errors::ProtocolError::InvalidLoginError => OpaqueError::WrongPassword,
                other => OpaqueError::Protocol(format!("{other:?}")),
            })?;
        wire(&finished.message.serialize())
    }
}

#[cfg(test)]
mod tests;
