//! Frames out of a stream that arrives in chunks of any size, decoded in place.
//!
//! Why not one growing buffer: a busy client receives most of its bytes as chunks holding many
//! whole frames, and copying every chunk into a buffer before decoding it was the largest
//! memory copy of the load benchmark's clients. Here frames are decoded straight from the
//! chunk; only a frame cut by a chunk boundary is copied, and only up to its own length.
use bytes::{Buf, Bytes};
use serde::de::DeserializeOwned;

use super::{body_len, decode_frame, CodecError, HEADER_LEN};

/// A split frame's buffer keeps no more capacity than this once the frame is decoded (a big
/// history page should not stay allocated for every connected client).
const KEEP_CAPACITY: usize = 8 * 1024;

/// Chunks in, frames out.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    /// The latest chunk, not yet decoded.
    chunk: Bytes,
    /// The start of a frame that continued past the end of its chunk.
    split: Vec<u8>,
}

impl FrameBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        FrameBuffer::default()
    }

    /// Adds the next chunk of the stream. Call it when [`FrameBuffer::decode`] returned
    /// `Ok(None)`; bytes still pending are kept in order in any case.
    pub fn push(&mut self, chunk: Bytes) {
        if !self.chunk.is_empty() {
            self.split.extend_from_slice(&self.chunk);
        }
        self.chunk = chunk;
    }

    /// The next whole frame, or `Ok(None)` if more bytes are needed. A frame announcing more
    /// than the codec allows is refused as soon as its header is in.
    pub fn decode<T: DeserializeOwned>(&mut self) -> Result<Option<T>, CodecError> {
        while !self.split.is_empty() {
            let needed = match self.split.first_chunk::<HEADER_LEN>() {
                Some(header) => HEADER_LEN + body_len(*header)?,
                None => HEADER_LEN,
            };
            if self.split.len() >= needed {
                let decoded = decode_frame(&self.split);
                self.split.clear();
                if self.split.capacity() > KEEP_CAPACITY {
                    self.split = Vec::new();
                }
                return Ok(decoded?.map(|(value, _)| value));
            }
            if self.chunk.is_empty() {
                return Ok(None);
            }
            let take = (needed - self.split.len()).min(self.chunk.len());
            self.split.extend_from_slice(&self.chunk.split_to(take));
        }
        match decode_frame(&self.chunk)? {
            Some((value, used)) => {
                self.chunk.advance(used);
                Ok(Some(value))
            }
            None => {
                self.split.extend_from_slice(&self.chunk);
                self.chunk = Bytes::new();
                Ok(None)
            }
        }
    }

    /// Bytes received and not yet decoded.
    pub fn pending(&self) -> usize {
        self.split.len() + self.chunk.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{encode, MAX_FRAME_LEN};

    fn stream_of(values: &[String]) -> Vec<u8> {
        values.iter().flat_map(|v| encode(v).unwrap()).collect()
    }

    fn decode_all(buffer: &mut FrameBuffer) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(v) = buffer.decode::<String>().unwrap() {
            out.push(v);
        }
        out
    }

    #[test]
    fn every_cut_of_a_stream_gives_back_the_same_frames() {
        let values: Vec<String> = ["", "a", &"x".repeat(300), "héllo", &"y".repeat(20)]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let bytes = stream_of(&values);
        for size in 1..=bytes.len() {
            let mut buffer = FrameBuffer::new();
            let mut got = Vec::new();
            for chunk in bytes.chunks(size) {
                buffer.push(Bytes::copy_from_slice(chunk));
                got.extend(decode_all(&mut buffer));
            }
            assert_eq!(got, values, "chunks of {size} bytes");
            assert_eq!(buffer.pending(), 0);
        }
    }

    #[test]
    fn two_cuts_anywhere_give_back_the_same_frames() {
        let values: Vec<String> = (0..6).map(|i| "z".repeat(i * 7)).collect();
        let bytes = stream_of(&values);
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                let mut buffer = FrameBuffer::new();
                let mut got = Vec::new();
                for part in [&bytes[..a], &bytes[a..b], &bytes[b..]] {
                    buffer.push(Bytes::copy_from_slice(part));
                    got.extend(decode_all(&mut buffer));
                }
                assert_eq!(got, values, "cut at {a} and {b}");
            }
        }
    }

    /// Pushes `bytes` cut at `cut`: the first part alone decodes to nothing; what the whole
    /// decodes to.
    fn decode_cut(bytes: &[u8], cut: usize) -> Result<Option<String>, CodecError> {
        let mut buffer = FrameBuffer::new();
        buffer.push(Bytes::copy_from_slice(&bytes[..cut]));
        assert_eq!(buffer.decode::<String>(), Ok(None));
        buffer.push(Bytes::copy_from_slice(&bytes[cut..]));
        buffer.decode::<String>()
    }

    #[test]
    fn an_oversized_length_is_refused_from_its_header_alone() {
        let header = u32::try_from(MAX_FRAME_LEN + 1).unwrap().to_be_bytes();
        assert!(matches!(
            decode_cut(&header, 2),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_malformed_split_frame_is_an_error() {
        // A one-byte body that is not a valid string (length 5, no bytes).
        let bytes = [0, 0, 0, 1, 5];
        assert!(matches!(
            decode_cut(&bytes, 3),
            Err(CodecError::Malformed(_))
        ));
    }

    #[test]
    fn pending_counts_a_partial_frame() {
        let bytes = stream_of(&["abcdef".to_string()]);
        let mut buffer = FrameBuffer::new();
        buffer.push(Bytes::copy_from_slice(&bytes[..5]));
        assert_eq!(buffer.decode::<String>(), Ok(None));
        assert_eq!(buffer.pending(), 5);
    }
}
