//! Files: the stream exchange that moves them (resumable, verified), its wire frames, and safe
//! names on the receiving side.
//!
//! # Layout
//! - [`wire`]: the frames of a file stream.
//! - [`stream`]: sending and receiving one file on one stream.
//! - [`names`]: sanitizing received names and choosing a free path.
pub mod names;
pub mod stream;
pub mod wire;

/// Name of the partial file for content `hash` in a download directory. Keyed by content, so
/// a new offer or download of the same file resumes what an interrupted one left.
pub fn partial_name(hash: &[u8; 32]) -> String {
    format!(".lanchat-{}.part", hex::encode(&hash[..12]))
}
