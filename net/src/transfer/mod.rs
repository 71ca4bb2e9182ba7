//! Files: the stream exchange that moves them (resumable, verified), its wire frames, and safe
//! names on the receiving side.
//!
//! # Layout
//! - [`wire`]: the frames of a file stream.
//! - [`stream`]: sending and receiving one shared file on one stream (hash known first).
//! - [`offer`]: sending and receiving an offer's files on one stream (hash follows the data).
//! - [`manifest`]: an offer's list of files: its bounds, and its safe layout on disk.
//! - [`place`]: putting received files in place under free names, and making them durable.
//! - [`flush`]: writing received data behind, so little is left for the final fsync.
//! - [`names`]: sanitizing received names and choosing a free path.
//! - `disk`: what both exchanges share — blocking work off the event loop, the hand-off
//!   to writer threads, reads without zeroing, cutting a file only when needed.
mod disk;
pub mod flush;
pub mod manifest;
pub mod names;
pub mod offer;
pub mod place;
pub mod stream;
pub mod wire;

use crate::protocol::FileOffer;

/// Name of the partial file for content `hash` in a download directory. Keyed by content, so
/// a new offer or download of the same file resumes what an interrupted one left.
pub fn partial_name(hash: &[u8; 32]) -> String {
    format!(".lanchat-{}.part", hex::encode(&hash[..12]))
}

/// Name of the staging folder for offer `offer` in a download directory, where its files
/// gather (by position) until all are verified. Keyed by the sender and the list (paths and
/// sizes), never by a name the sender chose: a retry of the offer resumes what an interrupted
/// attempt left, and so does the same files offered again by the same sender (after their
/// client restarted, or the coordinator did, which numbers offers anew). Only the bytes the
/// same sender sent before can be found there, and the sender checks every prefix against
/// its own file before continuing it.
pub fn staging_name(offer: &FileOffer) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"lanchat offer staging\0");
    hasher.update(&(offer.from.len() as u64).to_le_bytes());
    hasher.update(offer.from.as_bytes());
    for entry in &offer.files {
        for part in &entry.path {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.update(&[0xff]);
        hasher.update(&entry.size.to_le_bytes());
    }
    format!(
        ".lanchat-offer-{}.part",
        hex::encode(&hasher.finalize().as_bytes()[..12])
    )
}
