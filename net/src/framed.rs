//! Frames over QUIC streams: the thin I/O shell around [`crate::codec`].
//!
//! Two ways to read: [`read_frame`] for the short request/answer exchanges at the start of a
//! file stream (it never reads past the frame it returns, so the raw bytes after it stay in
//! the stream), and [`FrameReader`] for the long-lived chat stream, which takes whatever the
//! stream has buffered in one call and decodes every frame in it. Under load one QUIC packet
//! carries dozens of small frames; reading them one `read_exact` at a time took the
//! connection's lock twice per frame.
use bytes::Bytes;
use serde::{de::DeserializeOwned, Serialize};

use crate::codec::{self, CodecError, FrameBuffer, HEADER_LEN};

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The bytes were refused by the codec.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The stream failed while reading.
    #[error("connection lost while reading: {0}")]
    Read(#[from] quinn::ReadExactError),
    /// The stream failed while reading (buffered reader).
    #[error("connection lost while reading: {0}")]
    Recv(#[from] quinn::ReadError),
    /// The peer finished the stream in the middle of a frame.
    #[error("the stream ended in the middle of a frame ({0} bytes of it received)")]
    Truncated(usize),
    /// The stream failed while writing.
    #[error("connection lost while writing: {0}")]
    Write(#[from] quinn::WriteError),
}

/// Reads one frame. `Ok(None)` when the peer finished the stream cleanly between frames.
pub async fn read_frame<T: DeserializeOwned>(
    recv: &mut quinn::RecvStream,
) -> Result<Option<T>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    match recv.read_exact(&mut header).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    // The limit is checked before the buffer is allocated.
    let len = codec::body_len(header)?;
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body).await?;
    Ok(Some(codec::decode_body(&body)?))
}

/// Writes one frame.
pub async fn write_frame<T: Serialize>(
    send: &mut quinn::SendStream,
    value: &T,
) -> Result<(), FrameError> {
    let bytes = codec::encode(value)?;
    send.write_all(&bytes).await?;
    Ok(())
}

/// Writes already encoded frames (see [`encode_shared`]) as one contiguous buffer, so that a
/// burst of small frames leaves in as few packets as fit it.
///
/// Why copy them together: quinn keeps each written chunk as its own segment until it is
/// acknowledged, puts at most one segment in a STREAM frame, and finds the segment for every
/// frame it builds by scanning all unacknowledged ones. Hundreds of small chunks in flight made
/// that scan the coordinator's largest cost under a busy room (16% of its CPU); one copy of a
/// few kilobytes is far cheaper.
pub async fn write_encoded(
    send: &mut quinn::SendStream,
    frames: &[Bytes],
) -> Result<(), FrameError> {
    match frames {
        [] => {}
        [one] => send.write_chunk(one.clone()).await?,
        many => {
            let mut joined = Vec::with_capacity(many.iter().map(Bytes::len).sum());
            for frame in many.iter() {
                joined.extend_from_slice(frame);
            }
            send.write_chunk(Bytes::from(joined)).await?;
        }
    }
    Ok(())
}

/// Encodes a frame once into a cheaply clonable buffer: a room message is encoded once and
/// the same bytes are queued for every member.
pub fn encode_shared<T: Serialize>(value: &T) -> Result<Bytes, CodecError> {
    codec::encode(value).map(Bytes::from)
}

/// Largest piece taken from the stream per read. A read takes what the stream has buffered
/// up to this much.
const READ_CHUNK: usize = 64 * 1024;

/// Reads frames from one stream, many per read of the stream, decoded in place (see
/// [`FrameBuffer`]). Cancel-safe: a `next` dropped before it finished loses no bytes (they
/// stay in the reader's buffer).
#[derive(Debug, Default)]
pub struct FrameReader {
    buffer: FrameBuffer,
}

impl FrameReader {
    /// An empty reader.
    pub fn new() -> Self {
        FrameReader::default()
    }

    /// The next frame. `Ok(None)` when the peer finished the stream cleanly between frames.
    pub async fn next<T: DeserializeOwned>(
        &mut self,
        recv: &mut quinn::RecvStream,
    ) -> Result<Option<T>, FrameError> {
        loop {
            if let Some(value) = self.buffer.decode()? {
                return Ok(Some(value));
            }
            match recv.read_chunk(READ_CHUNK, true).await? {
                Some(chunk) => self.buffer.push(chunk.bytes),
                None if self.buffer.pending() == 0 => return Ok(None),
                None => return Err(FrameError::Truncated(self.buffer.pending())),
            }
        }
    }
}
