//! Length-prefixed postcard frames, decoded from byte slices without any I/O.
//!
//! A frame is a 4-byte big-endian body length followed by the postcard body. The length is
//! checked against [`MAX_FRAME_LEN`] before anything is allocated, so a peer announcing 4 GiB
//! costs nothing. Transport code (see [`crate::framed`]) only moves bytes; every decision about
//! what is acceptable lives here so it can be fuzzed.
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
use serde::{de::DeserializeOwned, Serialize};

mod buffer;
pub use buffer::FrameBuffer;

/// Largest frame body accepted or produced (1 MiB): a 16 KiB message plus history pages fit
/// with room to spare, and a hostile length prefix is refused before allocation.
pub const MAX_FRAME_LEN: usize = 1024 * 1024;
/// Size of the length prefix.
pub const HEADER_LEN: usize = 4;

/// Why bytes could not be turned into a frame or back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// The length prefix (or an outgoing body) exceeds [`MAX_FRAME_LEN`].
    #[error("frame of {len} bytes exceeds the limit of {MAX_FRAME_LEN} bytes")]
    TooLarge {
        /// The announced or produced length.
        len: usize,
    },
    /// The body is not a valid encoding of the expected type.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The body decoded but bytes were left over.
    #[error("malformed frame: {0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// Serializing an outgoing value failed.
    #[error("cannot encode frame: {0}")]
    Encode(String),
}

/// Encodes `msg` as one frame (prefix and body).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = vec![0u8; HEADER_LEN];
    let mut out = postcard::to_extend(msg, std::mem::take(&mut out))
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let len = out.len() - HEADER_LEN;
    if len > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge { len });
    }
    let prefix = u32::try_from(len)
        .map_err(|_| CodecError::TooLarge { len })?
        .to_be_bytes();
    if let Some(head) = out.get_mut(..HEADER_LEN) {
        head.copy_from_slice(&prefix);
    }
    Ok(out)
}

/// Reads the body length from a frame header, refusing lengths over the limit.
pub fn body_len(header: [u8; HEADER_LEN]) -> Result<usize, CodecError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge { len });
    }
    Ok(len)
}

/// Decodes a frame body (without prefix); the whole slice must be one value.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, CodecError> {
    if body.len() > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge { len: body.len() });
    }
    let (value, rest) =
        postcard::take_from_bytes(body).map_err(|e| CodecError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CodecError::TrailingBytes(rest.len()));
    }
    Ok(value)
}

/// Decodes the first frame in `buf`. `Ok(None)` means more bytes are needed; otherwise returns
/// the value and how many bytes it used.
pub fn decode_frame<T: DeserializeOwned>(buf: &[u8]) -> Result<Option<(T, usize)>, CodecError> {
    let Some((header, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let len = body_len(*header)?;
    let Some(body) = rest.get(..len) else {
        return Ok(None);
    };
    Ok(Some((decode_body(body)?, HEADER_LEN + len)))
}

#[cfg(test)]
mod tests;
