//! Frames over QUIC streams: the thin I/O shell around [`crate::codec`].
use serde::{de::DeserializeOwned, Serialize};

use crate::codec::{self, CodecError, HEADER_LEN};

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The bytes were refused by the codec.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The stream failed while reading.
    #[error("connection lost while reading: {0}")]
    Read(#[from] quinn::ReadExactError),
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
