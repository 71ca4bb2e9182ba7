//! Key rollover: a coordinator's new identity, vouched for by its old one.
//!
//! Clients pin the coordinator's certificate fingerprint and refuse any other, loudly. When an
//! office must change the coordinator's key (a reinstall, a suspected leak, an expiring policy)
//! it runs `lanchat coordinator rotate-key`: a new identity is made and the old key signs a
//! statement "my successor is the certificate with fingerprint N". The coordinator hands its
//! chain of such statements to every client in its Welcome; a client that pinned any key of the
//! chain checks each signature against the old certificate it carries and then trusts the new
//! key without asking anyone. A changed key without such a statement stays a refusal.
//!
//! Sans I/O: signing takes the old identity, checking takes only the statements.
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;

/// Longest chain of statements a coordinator sends and a client follows.
pub const MAX_CHAIN: usize = 8;

/// What the old key signs: a fixed context string, then the old and the new fingerprints.
const CONTEXT: &[u8] = b"lanchat coordinator key rollover v1\0";

/// "The certificate `old_cert`'s key hands over to the certificate with `new_fingerprint`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollover {
    /// The old certificate (DER): its fingerprint is what clients pinned, its public key checks
    /// the signature.
    pub old_cert: Vec<u8>,
    /// The successor's certificate fingerprint.
    pub new_fingerprint: [u8; 32],
    /// ECDSA P-256 / SHA-256 signature (ASN.1 DER) by the old key over a fixed context string, the old
    /// fingerprint and the new one.
    pub signature: Vec<u8>,
}

/// Why a rollover statement was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloverError {
    /// The old certificate does not parse.
    #[error("the rollover statement's old certificate is malformed: {0}")]
    BadCertificate(String),
    /// The signature does not verify with the old certificate's key.
    #[error("the rollover statement is not signed by the old key")]
    BadSignature,
    /// Signing failed (the old key is not an ECDSA P-256 PKCS#8 key).
    #[error("cannot sign with the old key: {0}")]
    Sign(String),
}

fn message(old: &Fingerprint, new: &Fingerprint) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + 64);
    m.extend_from_slice(CONTEXT);
    m.extend_from_slice(&old.0);
    m.extend_from_slice(&new.0);
    m
}

impl Rollover {
    /// Signs the hand-over from the identity (`old_cert`, `old_key_pkcs8`) to `new`.
    pub fn sign(
        old_cert: &[u8],
        old_key_pkcs8: &[u8],
        new: Fingerprint,
    ) -> Result<Rollover, RolloverError> {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, old_key_pkcs8, &rng)
            .map_err(|e| RolloverError::Sign(e.to_string()))?;
        let old = Fingerprint::of_cert(old_cert);
        let signature = key
            .sign(&rng, &message(&old, &new))
            .map_err(|e| RolloverError::Sign(e.to_string()))?;
        Ok(Rollover {
            old_cert: old_cert.to_vec(),
            new_fingerprint: new.0,
            signature: signature.as_ref().to_vec(),
        })
    }

    /// The fingerprint of the key that hands over.
    pub fn old_fingerprint(&self) -> Fingerprint {
        Fingerprint::of_cert(&self.old_cert)
    }

    /// The fingerprint of the key that takes over.
    pub fn new_fingerprint(&self) -> Fingerprint {
        Fingerprint(self.new_fingerprint)
    }

    /// Checks the signature with the old certificate's public key.
    pub fn verify(&self) -> Result<(), RolloverError> {
        let der = rustls::pki_types::CertificateDer::from(self.old_cert.as_slice());
        let cert = webpki::EndEntityCert::try_from(&der)
            .map_err(|e| RolloverError::BadCertificate(e.to_string()))?;
        let msg = message(&self.old_fingerprint(), &self.new_fingerprint());
        cert.verify_signature(webpki::ring::ECDSA_P256_SHA256, &msg, &self.signature)
            .map_err(|_| RolloverError::BadSignature)
    }
}

/// Which trusted key vouches for `target` through `chain`, if any: follows statements whose
/// new key is `target` back through at most [`MAX_CHAIN`] hand-overs, each signature checked,
/// until one starts from a key `trusted` accepts.
pub fn vouched_by(
    chain: &[Rollover],
    target: Fingerprint,
    trusted: impl Fn(&Fingerprint) -> bool,
) -> Option<Fingerprint> {
    let mut current = target;
    for _ in 0..MAX_CHAIN {
        let step = chain
            .iter()
            .take(MAX_CHAIN)
            .find(|r| r.new_fingerprint() == current && r.verify().is_ok())?;
        let old = step.old_fingerprint();
        if trusted(&old) {
            return Some(old);
        }
        current = old;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Identity;

    fn parts(id: &Identity) -> (Vec<u8>, Vec<u8>) {
        (id.cert_der().to_vec(), id.key_der().to_vec())
    }

    #[test]
    fn a_signed_hand_over_verifies_and_a_forged_one_does_not() {
        let old = Identity::generate().unwrap();
        let new = Identity::generate().unwrap();
        let (cert, key) = parts(&old);
        let r = Rollover::sign(&cert, &key, new.fingerprint()).unwrap();
        assert_eq!(r.old_fingerprint(), old.fingerprint());
        r.verify().unwrap();

        // Someone else's key cannot speak for the old certificate.
        let mallory = Identity::generate().unwrap();
        let forged = Rollover::sign(&cert, &parts(&mallory).1, mallory.fingerprint()).unwrap();
        assert_eq!(forged.verify(), Err(RolloverError::BadSignature));
        // Nor can a genuine statement be bent to another successor.
        let mut bent = r.clone();
        bent.new_fingerprint = mallory.fingerprint().0;
        assert_eq!(bent.verify(), Err(RolloverError::BadSignature));
    }

    #[test]
    fn a_chain_is_followed_back_to_a_trusted_key() {
        let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap()).collect();
        let chain: Vec<Rollover> = ids
            .windows(2)
            .map(|w| {
                let (cert, key) = parts(&w[0]);
                Rollover::sign(&cert, &key, w[1].fingerprint()).unwrap()
            })
            .collect();
        let first = ids[0].fingerprint();
        let last = ids[2].fingerprint();
        assert_eq!(vouched_by(&chain, last, |f| *f == first), Some(first));
        assert_eq!(vouched_by(&chain, last, |_| false), None);
        let stranger = Identity::generate().unwrap().fingerprint();
        assert_eq!(vouched_by(&chain, stranger, |f| *f == first), None);
        // A garbage certificate in the chain is skipped, not trusted.
        let junk = Rollover {
            old_cert: vec![0x30, 0x03, 0x02, 0x01, 0x00],
            new_fingerprint: stranger.0,
            signature: vec![1, 2, 3],
        };
        assert_eq!(vouched_by(&[junk], stranger, |_| true), None);
    }
}
