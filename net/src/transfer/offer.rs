//! Moving an offer's files — one, several, or a folder's tree — over one QUIC stream, back to
//! back, each file's BLAKE3 following its bytes (see [`super::wire`] for the exchange).
//!
//! The sender hashes each file while reading it for the send (one pass over the disk; the
//! prefix of a resumed file is read and hashed only to check what the recipient holds). The
//! recipient hashes while writing, compares each file before taking the next, keeps its
//! bytes in a staging folder keyed by the offer (never by a name the sender chose), makes them
//! durable, and only then moves them into place under the chosen folder, with sanitized,
//! unique names. Disk work runs on plain threads behind small bounded queues, as for single
//! files ([`super::stream`]).
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
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::disk::{blocking, read_unit, send_to_writer, set_len_if_needed};
use super::flush::WriteBehind;
use super::manifest;
use super::place::{durable, place, sync_dirs};
use super::stream::{TransferError, CHUNK, QUEUE_CHUNKS};
use super::wire::{FileEnd, FileStart, Held, OfferReady, OfferVerdict};
use crate::framed::{read_frame, write_frame};
use crate::protocol::{ErrorCode, ErrorInfo, OfferEntry};

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// One file the sender sends: where it is here, and the size the offer announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The local file.
    pub path: PathBuf,
    /// Its size as offered (exactly this many bytes are sent).
    pub size: u64,
}

/// What the sending end did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Bytes the recipient already held (resumed from).
    pub from: u64,
    /// Bytes sent on this stream.
    pub bytes: u64,
}

/// What the reader thread hands the network side.
enum Piece {
    Start(u64),
    Data(Bytes),
    End([u8; 32]),
    Failed(TransferError),
}

/// Sends an offer's files as the sending end (after the stream's [`StreamOpen`]).
/// `progress` is called with the bytes the recipient will hold, over all files, once what
/// was sent so far arrives.
///
/// [`StreamOpen`]: super::wire::StreamOpen
pub async fn send_files(
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    files: &[Source],
    mut progress: impl FnMut(u64),
) -> Result<Sent, TransferError> {
    let ready: OfferReady = read_frame(recv).await?.ok_or(TransferError::Closed)?;
    let held = ready.map_err(TransferError::Refused)?;
    if held.len() > files.len() {
        return Err(TransferError::Protocol(format!(
            "the recipient claims to hold parts of {} files of {}",
            held.len(),
            files.len()
        )));
    }
    // What the recipient says it holds, per file: checked against our own bytes by the reader.
    let mut claims: HashMap<u32, Held> = HashMap::new();
    for h in held {
        let fits = files
            .get(h.file as usize)
            .is_some_and(|f| h.offset > 0 && h.offset <= f.size);
        if fits {
            claims.entry(h.file).or_insert(h);
        }
    }
    let (tx, mut pieces) = mpsc::channel::<Piece>(QUEUE_CHUNKS);
    let sources = files.to_vec();
    std::thread::spawn(move || read_files(&sources, &claims, &tx));

    let mut done = 0u64;
    let mut from = 0u64;
    let sending = async {
        while let Some(piece) = pieces.recv().await {
            match piece {
                Piece::Start(offset) => {
                    write_frame(send, &FileStart { offset }).await?;
                    done += offset;
                    from += offset;
                    progress(done);
                }
                Piece::Data(chunk) => {
                    done += chunk.len() as u64;
                    send.write_chunk(chunk).await?;
                    progress(done);
                }
                Piece::End(hash) => write_frame(send, &FileEnd { hash }).await?,
                Piece::Failed(e) => return Err(e),
            }
        }
        send.finish().map_err(|_| TransferError::Closed)
    };
    let sent = sending.await;
    match sent {
        Ok(()) => {}
        // A recipient that stops early (a file that does not match) says why before it
        // stops reading: prefer its verdict to our broken write.
        Err(e) if is_write_failure(&e) => {
            return match read_frame::<OfferVerdict>(recv).await {
                Ok(Some(v)) if v != OfferVerdict::Verified => Err(refusal(v, files)),
                _ => Err(e),
            }
        }
        Err(e) => {
            // Our side failed (a file unreadable): tell the recipient the stream is void.
            let _ = send.reset(0u32.into());
            return Err(e);
        }
    }
    match read_frame::<OfferVerdict>(recv)
        .await?
        .ok_or(TransferError::Closed)?
    {
        OfferVerdict::Verified => Ok(Sent {
            from,
            bytes: done - from,
        }),
        v => Err(refusal(v, files)),
    }
}

fn is_write_failure(e: &TransferError) -> bool {
    matches!(
        e,
        TransferError::Write(_) | TransferError::Frame(crate::framed::FrameError::Write(_))
    )
}

/// The error for a recipient's verdict other than `Verified`.
fn refusal(verdict: OfferVerdict, files: &[Source]) -> TransferError {
    match verdict {
        OfferVerdict::Mismatch { file } => TransferError::Mismatch {
            name: files
                .get(file as usize)
                .map(|f| f.path.display().to_string())
                .unwrap_or_else(|| format!("file {file}")),
        },
        OfferVerdict::Failed(why) => TransferError::Remote(why),
        OfferVerdict::Verified => TransferError::Protocol("verified is not a refusal".into()),
    }
}

/// Reader thread: every file in order, from where the recipient resumes, hashed as read.
fn read_files(files: &[Source], claims: &HashMap<u32, Held>, tx: &mpsc::Sender<Piece>) {
    for (index, source) in files.iter().enumerate() {
        let claim = u32::try_from(index).ok().and_then(|i| claims.get(&i));
        match read_file(source, claim, tx) {
            Ok(true) => {}
            Ok(false) => return, // the network side gave up
            Err(e) => {
                let _ = tx.blocking_send(Piece::Failed(io_err(&source.path)(e)));
                return;
            }
        }
    }
}

/// One file: its start, its bytes, its hash. `Ok(false)`: nobody listens any more.
fn read_file(
    source: &Source,
    claim: Option<&Held>,
    tx: &mpsc::Sender<Piece>,
) -> std::io::Result<bool> {
    let mut file = File::open(&source.path)?;
    let mut hasher = blake3::Hasher::new();
    let mut offset = 0u64;
    if let Some(held) = claim {
        // Only when resuming: hash our own prefix to see whether theirs is the same.
        let mut prefix = blake3::Hasher::new();
        let read = copy_into(&mut (&mut file).take(held.offset), &mut prefix)?;
        if read == held.offset && *prefix.finalize().as_bytes() == held.prefix_hash {
            (offset, hasher) = (held.offset, prefix);
        } else {
            file.seek(SeekFrom::Start(0))?;
        }
    }
    if tx.blocking_send(Piece::Start(offset)).is_err() {
        return Ok(false);
    }
    let mut left = source.size - offset;
    while left > 0 {
        let want = left.min(CHUNK as u64) as usize;
        let buf = read_unit(&mut file, want)?;
        hasher.update(&buf);
        left -= want as u64;
        if tx.blocking_send(Piece::Data(Bytes::from(buf))).is_err() {
            return Ok(false);
        }
    }
    let hash = *hasher.finalize().as_bytes();
    Ok(tx.blocking_send(Piece::End(hash)).is_ok())
}

/// Hashes everything `reader` gives; returns how many bytes that was.
fn copy_into(reader: &mut impl Read, hasher: &mut blake3::Hasher) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut seen = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(seen);
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        seen += n as u64;
    }
}

/// Where an offer's files go on the receiving side.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// The folder the recipient chose.
    pub dir: &'a Path,
    /// The offer's staging folder (inside `dir`, named by [`super::staging_name`]): bytes
    /// gather here, kept across interruptions so a later attempt resumes.
    pub staging: &'a Path,
}

/// What the receiving end got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Where the offer's top-level files and folders now are, in the offer's order.
    pub placed: Vec<PathBuf>,
    /// Bytes that were already there (resumed from).
    pub from: u64,
    /// Bytes received on this stream.
    pub bytes: u64,
}

/// What the network side hands the writer thread.
enum ToDisk {
    Open {
        file: u32,
        from: u64,
        hasher: Box<blake3::Hasher>,
    },
    Data(Vec<u8>),
    Close {
        expected: [u8; 32],
    },
}

/// Why the writer stopped.
enum DiskError {
    Io(PathBuf, std::io::Error),
    Mismatch(u32),
}

/// Receives an offer's files as the receiving end (after the stream's opening), checks each
/// against the hash that follows it, makes them durable and moves them into place. `files`
/// is the offer's list, as the coordinator passed it on (checked again here).
pub async fn receive_files(
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    files: &[OfferEntry],
    to: Destination<'_>,
    mut progress: impl FnMut(u64),
) -> Result<Received, TransferError> {
    if let Err(e) = manifest::check(files) {
        let refusal = ErrorInfo::new(ErrorCode::BadRequest, e.to_string());
        let _ = write_frame(send, &OfferReady::Err(refusal)).await;
        let _ = send.finish();
        return Err(TransferError::Protocol(e.to_string()));
    }
    let sizes: Vec<u64> = files.iter().map(|f| f.size).collect();
    let staging = to.staging.to_path_buf();
    let (s, z) = (staging.clone(), sizes.clone());
    let mut held = match blocking(move || holdings(&s, &z)).await {
        Ok(held) => held,
        Err(e) => {
            let why = format!("the recipient cannot save the files: {e}");
            let refusal = ErrorInfo::new(ErrorCode::Internal, why);
            let _ = write_frame(send, &OfferReady::Err(refusal)).await;
            let _ = send.finish();
            return Err(io_err(&staging)(e));
        }
    };
    let claims: Vec<Held> = held
        .iter()
        .map(|(&file, (offset, hasher))| Held {
            file,
            offset: *offset,
            prefix_hash: *hasher.finalize().as_bytes(),
        })
        .collect();
    write_frame(send, &OfferReady::Ok(claims)).await?;

    let s = staging.clone();
    blocking(move || staging_dir(&s))
        .await
        .map_err(io_err(&staging))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<ToDisk>(QUEUE_CHUNKS);
    let s = staging.clone();
    let many = files.len() > PER_FILE_SYNC;
    let writer = std::thread::spawn(move || write_files(&s, rx, !many));

    let mut from = 0u64;
    let mut done = 0u64;
    let network = async {
        for (index, &size) in sizes.iter().enumerate() {
            let file = u32::try_from(index).unwrap_or(u32::MAX);
            let start: FileStart = read_frame(recv).await?.ok_or(TransferError::Closed)?;
            let prior = held.remove(&file);
            let (offset, hasher) = match (start.offset, prior) {
                (0, _) => (0, blake3::Hasher::new()),
                (o, Some((h, hasher))) if o == h => (o, hasher),
                (o, _) => {
                    return Err(TransferError::Protocol(format!(
                        "the sender resumes file {index} at byte {o}, which this side does not \
                         hold"
                    )))
                }
            };
            from += offset;
            done += offset;
            let open = ToDisk::Open {
                file,
                from: offset,
                hasher: Box::new(hasher),
            };
            if send_to_writer(&tx, open).await.is_err() {
                return Ok(()); // the writer stopped; its error is reported below
            }
            let mut left = size - offset;
            let mut buf = Vec::with_capacity(left.min(CHUNK as u64) as usize);
            while left > 0 {
                let want = left.min((CHUNK - buf.len()) as u64) as usize;
                let chunk = recv
                    .read_chunk(want, true)
                    .await?
                    .ok_or(TransferError::Closed)?;
                let n = chunk.bytes.len();
                buf.extend_from_slice(&chunk.bytes);
                left -= n as u64;
                done += n as u64;
                if buf.len() == CHUNK || left == 0 {
                    let next = Vec::with_capacity(left.min(CHUNK as u64) as usize);
                    let full = std::mem::replace(&mut buf, next);
                    if send_to_writer(&tx, ToDisk::Data(full)).await.is_err() {
                        return Ok(());
                    }
                    progress(done);
                }
            }
            // Exactly `size` bytes were taken: whatever a sender sends beyond them is read as
            // the hash frame, and refused as such.
            let end: FileEnd = match read_frame(recv).await {
                Ok(Some(end)) => end,
                Ok(None) => return Err(TransferError::Closed),
                Err(e) => {
                    return Err(TransferError::Protocol(format!(
                        "after the {size} bytes of file {index}, its hash was expected: {e}"
                    )))
                }
            };
            let close = ToDisk::Close { expected: end.hash };
            if send_to_writer(&tx, close).await.is_err() {
                return Ok(());
            }
            progress(done);
        }
        match read_frame::<FileStart>(recv).await {
            Ok(None) => Ok(()),
            _ => Err(TransferError::Protocol(
                "the sender sent more after the last file".into(),
            )),
        }
    };
    let network: Result<(), TransferError> = network.await;
    drop(tx);
    // Whatever happened on the network, what reached the disk stays for a later resume.
    let written = blocking(move || writer.join())
        .await
        .map_err(|_| TransferError::Protocol("disk writer panicked".into()))?;
    match written {
        Err(DiskError::Mismatch(file)) => {
            let _ = write_frame(send, &OfferVerdict::Mismatch { file }).await;
            let _ = send.finish();
            let _ = recv.stop(0u32.into());
            let name = files
                .get(file as usize)
                .map(OfferEntry::display_path)
                .unwrap_or_default();
            return Err(TransferError::Mismatch { name });
        }
        Err(DiskError::Io(path, e)) => {
            let why = format!("cannot save {}: {e}", path.display());
            let _ = write_frame(send, &OfferVerdict::Failed(why)).await;
            let _ = send.finish();
            return Err(io_err(&path)(e));
        }
        Ok(()) => network?,
    }
    let (dir, list) = (to.dir.to_path_buf(), files.to_vec());
    let placed = blocking(move || -> std::io::Result<Vec<PathBuf>> {
        // The data first (small offers synced each file as it closed), then the moves.
        if many {
            durable(&staging)?;
        }
        let placed = place(&staging, &dir, &list)?;
        if many {
            durable(&dir)?;
        } else {
            sync_dirs(&placed.parents)?;
        }
        Ok(placed.top)
    })
    .await;
    let placed = match placed {
        Ok(placed) => placed,
        Err(e) => {
            let why = format!("cannot put the files in place: {e}");
            let _ = write_frame(send, &OfferVerdict::Failed(why)).await;
            let _ = send.finish();
            return Err(io_err(to.dir)(e));
        }
    };
    write_frame(send, &OfferVerdict::Verified).await?;
    let _ = send.finish();
    Ok(Received {
        placed,
        from,
        bytes: done - from,
    })
}

/// Offers with at most this many files are made durable file by file as each is closed
/// (`fdatasync`); larger ones with one file-system-wide sync at the end, instead of a journal
/// commit per small file.
const PER_FILE_SYNC: usize = 8;

/// Creates the staging folder, which must be a folder of its own: a symbolic link planted
/// under its name (in a download folder others can write to) would send the received bytes
/// elsewhere.
fn staging_dir(staging: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(staging)?;
    if !std::fs::symlink_metadata(staging)?.is_dir() {
        return Err(not_a_folder());
    }
    Ok(())
}

fn not_a_folder() -> std::io::Error {
    std::io::Error::other(
        "the staging folder is not a folder (a symbolic link?); refusing to use it",
    )
}

/// What the staging folder already holds, per file: length and the hasher over it. Only
/// regular files count (a link is not followed).
fn holdings(staging: &Path, sizes: &[u64]) -> std::io::Result<HashMap<u32, (u64, blake3::Hasher)>> {
    let mut held = HashMap::new();
    match std::fs::symlink_metadata(staging) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(held),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_dir() => return Err(not_a_folder()),
        Ok(_) => {}
    }
    let entries = match std::fs::read_dir(staging) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(held),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Some(file) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(&size) = sizes.get(file as usize) else {
            continue;
        };
        if !entry.file_type()?.is_file() {
            continue;
        }
        let len = entry.metadata()?.len();
        if len == 0 || len > size {
            continue;
        }
        let mut hasher = blake3::Hasher::new();
        let read = copy_into(&mut File::open(entry.path())?.take(len), &mut hasher)?;
        if read == len {
            held.insert(file, (len, hasher));
        }
    }
    Ok(held)
}

/// Writer thread: each file into `staging/<index>`, hashed as written and compared with the
/// hash that followed it; a mismatch discards the file and stops.
fn write_files(
    staging: &Path,
    rx: std::sync::mpsc::Receiver<ToDisk>,
    sync_each: bool,
) -> Result<(), DiskError> {
    let mut current: Option<(u32, PathBuf, File, Box<blake3::Hasher>)> = None;
    let mut behind = WriteBehind::new(0);
    let mut end = 0u64;
    for msg in rx {
        match msg {
            ToDisk::Open { file, from, hasher } => {
                let path = staging.join(file.to_string());
                let opened = (|| {
                    let mut f = OpenOptions::new()
                        .create(true)
                        .write(true)
                        .truncate(false)
                        .open(&path)?;
                    set_len_if_needed(&f, from)?;
                    f.seek(SeekFrom::Start(from))?;
                    Ok(f)
                })();
                let f = opened.map_err(|e| DiskError::Io(path.clone(), e))?;
                current = Some((file, path, f, hasher));
                behind = WriteBehind::new(from);
                end = from;
            }
            ToDisk::Data(chunk) => {
                if let Some((_, path, f, hasher)) = current.as_mut() {
                    f.write_all(&chunk)
                        .map_err(|e| DiskError::Io(path.clone(), e))?;
                    hasher.update(&chunk);
                    end += chunk.len() as u64;
                    behind.wrote(f, end);
                }
            }
            ToDisk::Close { expected } => {
                let Some((file, path, f, hasher)) = current.take() else {
                    continue;
                };
                if *hasher.finalize().as_bytes() != expected {
                    drop(f);
                    let _ = std::fs::remove_file(&path);
                    return Err(DiskError::Mismatch(file));
                }
                if sync_each {
                    f.sync_data().map_err(|e| DiskError::Io(path, e))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
