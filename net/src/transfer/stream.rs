//! Moving one file over one QUIC stream, with resume and end-to-end BLAKE3 verification.
//!
//! Disk work runs on plain threads connected to the async side by small bounded queues, so a
//! transfer never blocks the engine's event loop and never holds more than
//! `QUEUE_CHUNKS × CHUNK` bytes in memory, whatever the file size.
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::disk::{blocking, read_unit, send_to_writer, set_len_if_needed};
use super::wire::{Have, Ready, Start, Verdict};
use crate::framed::{read_frame, write_frame, FrameError};
use crate::protocol::ErrorInfo;

/// Disk read/write unit.
pub const CHUNK: usize = 1024 * 1024;
/// Chunks queued between disk and network per transfer.
pub const QUEUE_CHUNKS: usize = 8;

/// Why a transfer stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The stream broke or carried a bad frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Reading raw bytes failed (connection lost).
    #[error("connection lost: {0}")]
    Read(#[from] quinn::ReadError),
    /// Writing raw bytes failed (connection lost or the other side stopped).
    #[error("connection lost: {0}")]
    Write(#[from] quinn::WriteError),
    /// The other end closed the stream early.
    #[error("the other side closed the transfer")]
    Closed,
    /// The other end refused.
    #[error("{0}")]
    Refused(ErrorInfo),
    /// The content did not match the offered BLAKE3; the partial file was discarded.
    #[error("{name}: content does not match its BLAKE3 hash; the received data was discarded")]
    Mismatch {
        /// The file.
        name: String,
    },
    /// The byte count did not match the announced size.
    #[error("{name}: expected {expected} bytes, got {got}")]
    WrongSize {
        /// The file.
        name: String,
        /// Announced.
        expected: u64,
        /// Seen.
        got: u64,
    },
    /// The other end reported a failure.
    #[error("the other side failed: {0}")]
    Remote(String),
    /// The peer violated the exchange.
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl TransferError {
    /// Whether trying again (on a new connection) can help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransferError::Frame(_)
                | TransferError::Read(_)
                | TransferError::Write(_)
                | TransferError::Closed
        )
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// BLAKE3 and length of a file (blocking; run off the event loop).
pub fn hash_file(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    let mut file = File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((*hasher.finalize().as_bytes(), len));
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}

/// The proof that whoever computes it holds the content of `path`: its BLAKE3 keyed with
/// `nonce` (an upload ticket's fresh random key), so it cannot be computed from the plain
/// hash or reused for another upload. Blocking; run off the event loop.
pub fn proof_of(path: &Path, nonce: &[u8; 32]) -> std::io::Result<[u8; 32]> {
    keyed_hash(File::open(path)?, nonce).map(|(proof, _)| proof)
}

/// The BLAKE3 of everything `reader` gives, keyed with `key`, and how many bytes that was.
pub fn keyed_hash(mut reader: impl Read, key: &[u8; 32]) -> std::io::Result<([u8; 32], u64)> {
    let mut hasher = blake3::Hasher::new_keyed(key);
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((*hasher.finalize().as_bytes(), len));
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        len += n as u64;
    }
}

/// Hashes the first `len` bytes of a file into a hasher (blocking).
fn hash_prefix(path: &Path, len: u64) -> std::io::Result<blake3::Hasher> {
    let mut hasher = blake3::Hasher::new();
    let mut file = File::open(path)?.take(len);
    let mut buf = vec![0u8; CHUNK];
    let mut seen = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        seen += n as u64;
    }
    if seen != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "file is shorter than the prefix",
        ));
    }
    Ok(hasher)
}

/// What the sending end did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Where sending started (bytes the receiver already had).
    pub from: u64,
    /// Bytes sent on this stream.
    pub bytes: u64,
}

/// Sends `path` (of `size` bytes) as the sending end of the exchange. `progress` is called
/// with the total bytes the receiver will have once what was sent so far arrives.
pub async fn send_file(
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    path: &Path,
    name: &str,
    size: u64,
    mut progress: impl FnMut(u64),
) -> Result<Sent, TransferError> {
    let ready: Ready = read_frame(recv).await?.ok_or(TransferError::Closed)?;
    let have = ready.map_err(TransferError::Refused)?;
    let offset = if have.offset > 0 && have.offset <= size {
        let p = path.to_path_buf();
        let prefix = blocking(move || hash_prefix(&p, have.offset)).await;
        match prefix {
            Ok(h) if *h.finalize().as_bytes() == have.prefix_hash => have.offset,
            _ => 0,
        }
    } else {
        0
    };
    write_frame(send, &Start { offset }).await?;
    progress(offset);

    let (tx, mut chunks) = mpsc::channel::<std::io::Result<Bytes>>(QUEUE_CHUNKS);
    let p = path.to_path_buf();
    std::thread::spawn(move || read_chunks(&p, offset, size, tx));
    let mut done = offset;
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.map_err(io_err(path))?;
        done += chunk.len() as u64;
        send.write_chunk(chunk).await?;
        progress(done);
    }
    if done != size {
        return Err(TransferError::WrongSize {
            name: name.to_string(),
            expected: size,
            got: done,
        });
    }
    send.finish().map_err(|_| TransferError::Closed)?;
    let verdict: Verdict = read_frame(recv).await?.ok_or(TransferError::Closed)?;
    match verdict {
        Verdict::Verified => Ok(Sent {
            from: offset,
            bytes: size - offset,
        }),
        Verdict::Mismatch => Err(TransferError::Mismatch {
            name: name.to_string(),
        }),
        Verdict::Failed(why) => Err(TransferError::Remote(why)),
    }
}

/// Disk reader thread: `size - offset` bytes from `offset`, in chunks.
fn read_chunks(path: &Path, offset: u64, size: u64, tx: mpsc::Sender<std::io::Result<Bytes>>) {
    let result = (|| -> std::io::Result<()> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut left = size - offset;
        while left > 0 {
            let want = left.min(CHUNK as u64) as usize;
            let buf = read_unit(&mut file, want)?;
            left -= want as u64;
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                return Ok(()); // the network side gave up
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = tx.blocking_send(Err(e));
    }
}

/// The file a receiving end expects.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Its name (for messages).
    pub name: &'a str,
    /// Its size.
    pub size: u64,
    /// Its BLAKE3.
    pub hash: [u8; 32],
}

/// What the receiving end got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Where the verified file now is.
    pub path: PathBuf,
    /// Bytes that were already there (resumed from).
    pub from: u64,
    /// Bytes received on this stream.
    pub bytes: u64,
}

/// Receives a file as the receiving end of the exchange. Bytes accumulate in `partial`
/// (kept across interruptions so a later attempt resumes); once complete and verified, `place`
/// moves it to its final location, whose path is returned.
pub async fn receive_file(
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    partial: &Path,
    expected: Expected<'_>,
    mut progress: impl FnMut(u64),
    place: impl FnOnce(&Path) -> std::io::Result<PathBuf> + Send + 'static,
) -> Result<Received, TransferError> {
    let Expected { name, size, hash } = expected;
    // What is already here, and its hash (to be checked by the sender, and continued).
    let p = partial.to_path_buf();
    let (held, hasher) = blocking(move || -> std::io::Result<(u64, blake3::Hasher)> {
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if len == 0 || len > size {
            return Ok((0, blake3::Hasher::new()));
        }
        Ok((len, hash_prefix(&p, len)?))
    })
    .await
    .map_err(io_err(partial))?;
    let have = Have {
        offset: held,
        prefix_hash: *hasher.finalize().as_bytes(),
    };
    write_frame(send, &Ready::Ok(have)).await?;
    let start: Start = read_frame(recv).await?.ok_or(TransferError::Closed)?;
    let (from, hasher) = match start.offset {
        o if o == held => (held, hasher),
        0 => (0, blake3::Hasher::new()),
        o => {
            return Err(TransferError::Protocol(format!(
                "sender starts at {o}, receiver has {held}"
            )))
        }
    };
    progress(from);

    let (tx, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(QUEUE_CHUNKS);
    let p = partial.to_path_buf();
    let writer = std::thread::spawn(move || write_chunks(&p, from, hasher, chunks));
    let mut got = from;
    let mut buf = Vec::with_capacity(CHUNK);
    let network = loop {
        // Taken as the stream holds it (no zeroed buffer to read into), gathered into
        // writes of CHUNK.
        match recv.read_chunk(CHUNK - buf.len(), true).await {
            Ok(Some(chunk)) => {
                let n = chunk.bytes.len();
                buf.extend_from_slice(&chunk.bytes);
                got += n as u64;
                if got > size {
                    break Err(TransferError::WrongSize {
                        name: name.to_string(),
                        expected: size,
                        got,
                    });
                }
                if buf.len() == CHUNK {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
                    if send_to_writer(&tx, full).await.is_err() {
                        break Ok(()); // the writer failed; its error is reported below
                    }
                    progress(got);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(TransferError::Read(e)),
        }
    };
    if !buf.is_empty() {
        let _ = send_to_writer(&tx, buf).await;
    }
    drop(tx);
    // Whatever happened on the network, what reached the disk stays for a later resume.
    let written = blocking(move || writer.join())
        .await
        .map_err(|_| TransferError::Protocol("disk writer panicked".into()))?
        .map_err(io_err(partial));
    network?;
    let (digest, total) = written?;
    progress(total);
    if total != size {
        return Err(TransferError::WrongSize {
            name: name.to_string(),
            expected: size,
            got: total,
        });
    }
    if digest != hash {
        let _ = std::fs::remove_file(partial);
        let _ = write_frame(send, &Verdict::Mismatch).await;
        let _ = send.finish();
        return Err(TransferError::Mismatch {
            name: name.to_string(),
        });
    }
    let p = partial.to_path_buf();
    let placed = blocking(move || place(&p)).await;
    let path = match placed {
        Ok(path) => path,
        Err(e) => {
            let _ = write_frame(send, &Verdict::Failed(format!("cannot save {name}: {e}"))).await;
            return Err(io_err(partial)(e));
        }
    };
    write_frame(send, &Verdict::Verified).await?;
    let _ = send.finish();
    Ok(Received {
        path,
        from,
        bytes: size - from,
    })
}

/// Disk writer thread: appends at `from`, hashes, syncs. Returns the digest and total length.
fn write_chunks(
    path: &Path,
    from: u64,
    mut hasher: blake3::Hasher,
    chunks: std::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<([u8; 32], u64)> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)?;
    set_len_if_needed(&file, from)?;
    file.seek(SeekFrom::Start(from))?;
    let mut total = from;
    let mut behind = super::flush::WriteBehind::new(from);
    for chunk in chunks {
        file.write_all(&chunk)?;
        hasher.update(&chunk);
        total += chunk.len() as u64;
        behind.wrote(&file, total);
    }
    file.sync_all()?;
    Ok((*hasher.finalize().as_bytes(), total))
}
