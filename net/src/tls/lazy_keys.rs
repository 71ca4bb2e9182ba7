//! Cipher suites whose keys are expanded when first used rather than when derived.
//!
//! A QUIC connection derives keys it may never use: rustls's TLS record-layer keys (QUIC
//! protects its packets itself, so that layer stays idle) and the next generation of packet
//! keys, which quinn prepares right after the handshake for a key update most connections never
//! make. ring expands each into an AES key schedule and GHASH table of about 0.5 KB. Those four
//! were 2.2 KB of every connection the coordinator holds (heaptrack, 10,000 idle clients). Here
//! each keeps only its key and IV until a record or packet needs it.
//!
//! Everything is delegated to the provider's own algorithms: no cryptography is done here.
//! Only suites with 32-byte keys are wrapped (AES-256-GCM, ChaCha20-Poly1305), because rustls
//! can rebuild only a key of full length from bytes; TLS_AES_128_GCM_SHA256, which QUIC also
//! needs for its Initial packets, stays as it is.
use std::sync::OnceLock;

use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter, MessageEncrypter,
    OutboundOpaqueMessage, OutboundPlainMessage, Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::quic::{Algorithm, HeaderProtectionKey, PacketKey, Tag};
use rustls::{
    CipherSuiteCommon, ConnectionTrafficSecrets, Error, SupportedCipherSuite, Tls13CipherSuite,
};

/// Key length of the suites wrapped here.
const KEY_LEN: usize = 32;
/// AEAD tag length of every TLS 1.3 suite (both AES-GCM and ChaCha20-Poly1305: 16 bytes).
const TAG_LEN: usize = 16;

/// `suites` with every 32-byte-key TLS 1.3 suite replaced by its lazy twin (same order, same
/// identifiers, same algorithms). The twins live for the whole process: call once.
pub fn wrap(suites: &[SupportedCipherSuite]) -> Vec<SupportedCipherSuite> {
    suites.iter().map(|&suite| lazy_twin(suite)).collect()
}

fn lazy_twin(suite: SupportedCipherSuite) -> SupportedCipherSuite {
    let SupportedCipherSuite::Tls13(inner) = suite else {
        return suite;
    };
    if inner.aead_alg.key_len() != KEY_LEN {
        return suite;
    }
    let aead_alg: &'static LazyAead = Box::leak(Box::new(LazyAead(inner.aead_alg)));
    let quic = inner
        .quic
        .map(|quic| -> &'static dyn Algorithm { Box::leak(Box::new(LazyQuic(quic))) });
    let twin = Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: inner.common.suite,
            hash_provider: inner.common.hash_provider,
            confidentiality_limit: inner.common.confidentiality_limit,
        },
        hkdf_provider: inner.hkdf_provider,
        aead_alg,
        quic,
    };
    SupportedCipherSuite::Tls13(Box::leak(Box::new(twin)))
}

/// The record-layer algorithm of a suite, handing out lazy encrypters and decrypters.
struct LazyAead(&'static dyn Tls13AeadAlgorithm);

impl Tls13AeadAlgorithm for LazyAead {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(LazyEncrypter(Lazy::new(self.0, key, iv)))
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(LazyDecrypter(Lazy::new(self.0, key, iv)))
    }

    fn key_len(&self) -> usize {
        self.0.key_len()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        self.0.extract_keys(key, iv)
    }

    fn fips(&self) -> bool {
        self.0.fips()
    }
}

/// Key material and the algorithm to expand it with, until first use; then what it built.
struct Lazy<T> {
    alg: &'static dyn Tls13AeadAlgorithm,
    keys: Option<(AeadKey, Iv)>,
    built: Option<T>,
}

impl<T> Lazy<T> {
    fn new(alg: &'static dyn Tls13AeadAlgorithm, key: AeadKey, iv: Iv) -> Self {
        Lazy {
            alg,
            keys: Some((key, iv)),
            built: None,
        }
    }

    /// What `build` makes of the key, made on the first call. `None` cannot happen (the keys
    /// are only taken to build), but is answered with an error rather than a panic.
    fn get(
        &mut self,
        build: impl FnOnce(&dyn Tls13AeadAlgorithm, AeadKey, Iv) -> T,
    ) -> Option<&mut T> {
        if let Some((key, iv)) = self.keys.take() {
            self.built = Some(build(self.alg, key, iv));
        }
        self.built.as_mut()
    }
}

struct LazyEncrypter(Lazy<Box<dyn MessageEncrypter>>);

impl MessageEncrypter for LazyEncrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        self.0
            .get(|alg, key, iv| alg.encrypter(key, iv))
            .ok_or(Error::EncryptError)?
            .encrypt(msg, seq)
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        match &self.0.built {
            Some(built) => built.encrypted_payload_len(payload_len),
            // What every TLS 1.3 AEAD adds: the inner content type byte and the tag.
            None => payload_len + 1 + TAG_LEN,
        }
    }
}

struct LazyDecrypter(Lazy<Box<dyn MessageDecrypter>>);

impl MessageDecrypter for LazyDecrypter {
    fn decrypt<'a>(
        &mut self,
        msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        self.0
            .get(|alg, key, iv| alg.decrypter(key, iv))
            .ok_or(Error::DecryptError)?
            .decrypt(msg, seq)
    }
}

/// The QUIC algorithms of a suite: packet keys are lazy, header protection keys (used from the
/// first packet on) are not.
struct LazyQuic(&'static dyn Algorithm);

impl Algorithm for LazyQuic {
    fn packet_key(&self, key: AeadKey, iv: Iv) -> Box<dyn PacketKey> {
        Box::new(LazyPacketKey {
            alg: self.0,
            key,
            iv,
            built: OnceLock::new(),
        })
    }

    fn header_protection_key(&self, key: AeadKey) -> Box<dyn HeaderProtectionKey> {
        self.0.header_protection_key(key)
    }

    fn aead_key_len(&self) -> usize {
        self.0.aead_key_len()
    }

    fn fips(&self) -> bool {
        self.0.fips()
    }
}

/// A packet key expanded on first use. Its methods take `&self` (quinn shares keys), hence
/// the `OnceLock`, and the key kept as bytes to rebuild an owned `AeadKey` from.
struct LazyPacketKey {
    alg: &'static dyn Algorithm,
    key: AeadKey,
    iv: Iv,
    built: OnceLock<Box<dyn PacketKey>>,
}

impl LazyPacketKey {
    /// The expanded key, built on the first call. `None` cannot happen (only 32-byte-key
    /// suites are wrapped, so the bytes always convert) but is answered with an error by the
    /// caller rather than a panic.
    fn get(&self) -> Option<&dyn PacketKey> {
        if let Some(built) = self.built.get() {
            return Some(built.as_ref());
        }
        let bytes = <[u8; KEY_LEN]>::try_from(self.key.as_ref()).ok()?;
        let built = self.built.get_or_init(|| {
            self.alg
                .packet_key(AeadKey::from(bytes), Iv::copy(self.iv.as_ref()))
        });
        Some(built.as_ref())
    }
}

impl PacketKey for LazyPacketKey {
    fn encrypt_in_place(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Result<Tag, Error> {
        self.get()
            .ok_or(Error::EncryptError)?
            .encrypt_in_place(packet_number, header, payload)
    }

    fn encrypt_in_place_for_path(
        &self,
        path_id: u32,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Result<Tag, Error> {
        self.get()
            .ok_or(Error::EncryptError)?
            .encrypt_in_place_for_path(path_id, packet_number, header, payload)
    }

    fn decrypt_in_place<'a>(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &'a mut [u8],
    ) -> Result<&'a [u8], Error> {
        self.get()
            .ok_or(Error::DecryptError)?
            .decrypt_in_place(packet_number, header, payload)
    }

    fn decrypt_in_place_for_path<'a>(
        &self,
        path_id: u32,
        packet_number: u64,
        header: &[u8],
        payload: &'a mut [u8],
    ) -> Result<&'a [u8], Error> {
        self.get()
            .ok_or(Error::DecryptError)?
            .decrypt_in_place_for_path(path_id, packet_number, header, payload)
    }

    fn tag_len(&self) -> usize {
        // quinn asks for every packet it builds; the answer is the same for every wrapped
        // suite and needs no key.
        TAG_LEN
    }

    fn confidentiality_limit(&self) -> u64 {
        // Zero (use no more) if the key cannot be built: nothing will be sent with it anyway.
        self.get().map_or(0, |key| key.confidentiality_limit())
    }

    fn integrity_limit(&self) -> u64 {
        self.get().map_or(0, |key| key.integrity_limit())
    }
}

#[cfg(test)]
mod tests {
    use rustls::crypto::cipher::OutboundChunks;
    use rustls::{ContentType, ProtocolVersion};

    use super::*;

    /// Each 32-byte-key suite of ring's provider with its lazy twin.
    fn pairs() -> Vec<(&'static Tls13CipherSuite, &'static Tls13CipherSuite)> {
        let eager = rustls::crypto::ring::default_provider().cipher_suites;
        let lazy = wrap(&eager);
        let pairs: Vec<_> = eager
            .iter()
            .zip(&lazy)
            .filter_map(|pair| match pair {
                (SupportedCipherSuite::Tls13(e), SupportedCipherSuite::Tls13(l))
                    if e.aead_alg.key_len() == KEY_LEN =>
                {
                    Some((*e, *l))
                }
                _ => None,
            })
            .collect();
        assert_eq!(pairs.len(), 2, "AES-256-GCM and ChaCha20-Poly1305");
        pairs
    }

    fn key() -> AeadKey {
        AeadKey::from([7u8; KEY_LEN])
    }

    fn iv() -> Iv {
        Iv::new([9u8; 12])
    }

    #[test]
    fn wrapping_keeps_every_suite_in_order_and_leaves_short_keys_alone() {
        let eager = rustls::crypto::ring::default_provider().cipher_suites;
        let lazy = wrap(&eager);
        let ids = |s: &[SupportedCipherSuite]| s.iter().map(|s| s.suite()).collect::<Vec<_>>();
        assert_eq!(ids(&eager), ids(&lazy));
        for (e, l) in eager.iter().zip(&lazy) {
            if let (SupportedCipherSuite::Tls13(e), SupportedCipherSuite::Tls13(l)) = (e, l) {
                let wrapped = !std::ptr::eq(*e, *l);
                assert_eq!(
                    wrapped,
                    e.aead_alg.key_len() == KEY_LEN,
                    "{:?}",
                    e.common.suite
                );
                assert_eq!(e.quic.is_some(), l.quic.is_some());
            }
        }
    }

    #[test]
    fn lazy_records_are_the_eager_ones() {
        for (eager, lazy) in pairs() {
            let mut e = eager.aead_alg.encrypter(key(), iv());
            let mut l = lazy.aead_alg.encrypter(key(), iv());
            // Asked before the key is built, and after.
            assert_eq!(l.encrypted_payload_len(100), e.encrypted_payload_len(100));
            let message = || OutboundPlainMessage {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::TLSv1_2,
                payload: OutboundChunks::Single(b"hello, office"),
            };
            let sealed = l.encrypt(message(), 3).unwrap().encode();
            assert_eq!(sealed, e.encrypt(message(), 3).unwrap().encode());
            assert_eq!(l.encrypted_payload_len(100), e.encrypted_payload_len(100));

            let mut d = lazy.aead_alg.decrypter(key(), iv());
            let mut body = sealed[5..].to_vec();
            let opaque = InboundOpaqueMessage::new(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                &mut body,
            );
            assert_eq!(d.decrypt(opaque, 3).unwrap().payload, b"hello, office");
            // A record sealed under another sequence number is refused.
            let mut body = sealed[5..].to_vec();
            let opaque = InboundOpaqueMessage::new(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                &mut body,
            );
            assert!(d.decrypt(opaque, 4).is_err());
        }
    }

    #[test]
    fn lazy_packet_keys_are_the_eager_ones() {
        for (eager, lazy) in pairs() {
            let (eager, lazy) = (eager.quic.unwrap(), lazy.quic.unwrap());
            let e = eager.packet_key(key(), iv());
            let l = lazy.packet_key(key(), iv());
            assert_eq!(l.tag_len(), e.tag_len());
            assert_eq!(l.confidentiality_limit(), e.confidentiality_limit());
            assert_eq!(l.integrity_limit(), e.integrity_limit());

            let header = b"short header";
            let (mut a, mut b) = (b"payload".to_vec(), b"payload".to_vec());
            let tag_e = e.encrypt_in_place(42, header, &mut a).unwrap();
            let tag_l = l.encrypt_in_place(42, header, &mut b).unwrap();
            assert_eq!((a.clone(), tag_e.as_ref()), (b, tag_l.as_ref()));

            let mut sealed = [a.as_slice(), tag_e.as_ref()].concat();
            let fresh = lazy.packet_key(key(), iv());
            assert_eq!(
                fresh.decrypt_in_place(42, header, &mut sealed).unwrap(),
                b"payload"
            );
            let mut sealed = [a.as_slice(), tag_e.as_ref()].concat();
            assert!(fresh.decrypt_in_place(43, header, &mut sealed).is_err());

            let (mut a, mut b) = (b"payload".to_vec(), b"payload".to_vec());
            let tag_e = e.encrypt_in_place_for_path(1, 42, header, &mut a).unwrap();
            let tag_l = l.encrypt_in_place_for_path(1, 42, header, &mut b).unwrap();
            assert_eq!((a, tag_e.as_ref()), (b, tag_l.as_ref()));
        }
    }

    #[test]
    fn keys_are_expanded_on_first_use_only() {
        let (suite, _) = pairs()[0];
        let packet = LazyPacketKey {
            alg: suite.quic.unwrap(),
            key: key(),
            iv: iv(),
            built: OnceLock::new(),
        };
        assert!(packet.built.get().is_none());
        packet
            .encrypt_in_place(1, b"h", &mut b"p".to_vec())
            .unwrap();
        assert!(packet.built.get().is_some());

        let mut record = LazyEncrypter(Lazy::new(suite.aead_alg, key(), iv()));
        assert!(record.0.built.is_none());
        let message = OutboundPlainMessage {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: OutboundChunks::Single(b"x"),
        };
        record.encrypt(message, 0).unwrap();
        assert!(record.0.built.is_some() && record.0.keys.is_none());
    }
}
