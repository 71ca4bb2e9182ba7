//! lanchat networking: the wire protocol, multicast discovery, the QUIC transport with pinned
//! certificates, and the file-transfer wire. The client engine lives in `lanchat-client`.
//!
//! # Layout
//! - [`policy`]: the password policy, with the reason for each refusal.
//! - [`protocol`]: the typed messages of the chat stream (requests, replies, events).
//! - [`codec`]: length-prefixed postcard frames decoded from byte slices (no I/O, fuzzable).
//! - [`framed`]: reading and writing those frames on QUIC streams.
//! - [`beacon`]: encrypted, authenticated multicast datagrams (sans-I/O) and replay filtering.
//! - [`discovery`]: the multicast socket that sends and receives beacons.
//! - [`fingerprint`]: certificate fingerprints and pins in a human-checkable form.
//! - [`invite`]: a coordinator's fingerprint (and address) as one string to hand out.
//! - [`opaque`]: OPAQUE (RFC 9807) login and registration: the suite, bounded wire bytes,
//!   checked decoders, and the client's flows.
//! - [`rollover`]: a coordinator's new key vouched for by its old one (signed statements).
//! - [`text`]: characters that reorder or hide text (bidirectional controls, invisibles).
//! - [`tls`]: identities, TLS 1.3 configs, the fingerprint-pinning verifier.
//! - [`transfer`]: moving files over QUIC streams (resume, BLAKE3 verification, safe names).
//! - [`private`]: data directories and files only their owner may read (`0700`/`0600`).
pub mod beacon;
pub mod codec;
pub mod discovery;
pub mod fingerprint;
pub mod framed;
pub mod invite;
pub mod opaque;
pub mod policy;
pub mod private;
pub mod protocol;
pub mod rollover;
pub mod text;
pub mod tls;
pub mod transfer;
