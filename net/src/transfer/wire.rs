//! Frames of a file stream (files move on QUIC streams of their own, never the chat stream).
//!
//! An offer's files (one, several, or a folder's tree) move on one stream, whoever the two
//! ends are (client to client, or through the coordinator's relay):
//! 1. the opener (the sender) sends [`StreamOpen`] saying which offer;
//! 2. the recipient sends [`OfferReady`]: for each file it already holds part of, how much and
//!    the BLAKE3 of that prefix (or why it refuses);
//! 3. for each file in the offer's order, back to back without waiting: the sender sends
//!    [`FileStart`] with the offset it sends from (the recipient's prefix if it matches its
//!    own file, else 0), the raw bytes up to the file's size, and [`FileEnd`] with the BLAKE3
//!    of the whole file, computed while reading it for the send; then finishes the stream;
//! 4. the recipient, which hashed each file while writing it and compared it before taking
//!    the next, answers one [`OfferVerdict`] at the end (or at the first file that fails).
//!
//! A shared file (upload to, or download from, the coordinator) moves on its own stream, its
//! hash known beforehand:
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

/// The recipient is ready (with what it holds) or refuses: the first answer on an offer
/// stream. At most one entry per file of the offer.
pub type OfferReady = Result<Vec<Held>, ErrorInfo>;

/// Part of one file of an offer that the recipient already holds (from an interrupted
/// attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// Which file (its position in the offer's list).
    pub file: u32,
    /// Bytes held.
    pub offset: u64,
    /// BLAKE3 of those bytes.
    pub prefix_hash: [u8; 32],
}

/// Before one file's raw bytes on an offer stream: where they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStart {
    /// Offset of the first byte sent: what the recipient holds, or 0.
    pub offset: u64,
}

/// After one file's raw bytes on an offer stream: its BLAKE3, from the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEnd {
    /// BLAKE3 of the whole file as the sender read it.
    pub hash: [u8; 32],
}

/// The recipient's conclusion on an offer stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferVerdict {
    /// Every file complete, matching its hash, durable, and in place.
    Verified,
    /// This file's content does not match the hash that followed it; it was discarded.
    Mismatch {
        /// Its position in the offer's list.
        file: u32,
    },
    /// Something else went wrong; says what.
    Failed(String),
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
