//! Frames of a file stream (each file moves on its own QUIC stream, never the chat stream).
//!
//! The exchange is the same whoever the two ends are (client to client, client to
//! coordinator, through the coordinator's relay):
//! 1. the opener sends [`StreamOpen`] saying what the stream is for;
//! 2. the receiving end sends [`Ready`]: how much of the file it already holds and the BLAKE3
//!    of that prefix (or why it refuses);
//! 3. the sending end checks the prefix against its own file and sends [`Start`] with the
//!    offset it will send from (0 when the prefix does not match), then the raw bytes, then
//!    finishes the stream;
//! 4. the receiving end verifies the whole file and answers with a [`Verdict`].
//!
//! An upload to the coordinator starts with a proof of possession (see
//! [`StreamOpen::Upload`]) answered by an [`UploadStart`]; the exchange above follows only
//! when the coordinator needs the bytes.
// Untrusted bytes and names pass through here: no panicking shortcuts.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
use serde::{Deserialize, Serialize};

use crate::protocol::ErrorInfo;

/// What a file stream is for (its first frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamOpen {
    /// Sender to recipient, direct: the bytes of an accepted offer.
    Peer {
        /// Offer id.
        offer: u64,
        /// The one-time token of the offer.
        token: [u8; 32],
    },
    /// To the coordinator: one end of a relayed offer.
    Relay {
        /// Offer id.
        offer: u64,
        /// The one-time token of the offer.
        token: [u8; 32],
        /// Which end this is.
        sender: bool,
    },
    /// To the coordinator: the content of a shared file. The coordinator answers with an
    /// [`UploadStart`].
    Upload {
        /// The ticket from `ShareReady`.
        ticket: u64,
        /// Its token.
        token: [u8; 32],
        /// The keyed BLAKE3 of the whole content, the key being the ticket's nonce
        /// ([`proof_of`](super::stream::proof_of)): proves the uploader holds the content.
        proof: [u8; 32],
    },
    /// To the coordinator: fetch a shared file.
    Download {
        /// Shared file id.
        file: u64,
    },
}

/// The coordinator's first answer on an upload stream: whether it needs the content, or why
/// it refuses.
pub type UploadStart = Result<UploadNeed, ErrorInfo>;

/// Whether an upload must send its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadNeed {
    /// The coordinator has this content and the proof showed the uploader holds it too: the
    /// share is posted, no bytes move.
    Nothing,
    /// Send it: the usual exchange follows ([`Ready`], [`Start`], the bytes, [`Verdict`]).
    /// Said whenever the proof does not match stored content, so a client that cannot prove
    /// possession learns nothing about what the coordinator stores.
    Content,
}

/// What a downloaded file is (the coordinator's first answer to `Download`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Name.
    pub name: String,
    /// Size.
    pub size: u64,
    /// BLAKE3.
    pub hash: [u8; 32],
}

/// The receiving end is ready (with what it has) or refuses.
pub type Ready = Result<Have, ErrorInfo>;

/// How much the receiving end already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Have {
    /// Bytes held.
    pub offset: u64,
    /// BLAKE3 of those bytes.
    pub prefix_hash: [u8; 32],
}

/// Where the raw bytes that follow start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// Offset of the first byte sent.
    pub offset: u64,
}

/// The receiving end's conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Complete and the hash matches.
    Verified,
    /// Complete but the content is not what was offered; discarded.
    Mismatch,
    /// Something else went wrong; says what.
    Failed(String),
}
