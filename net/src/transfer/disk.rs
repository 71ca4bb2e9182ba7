//! Small disk helpers (and the hand-off to disk threads) both file exchanges use (one file per stream in [`super::stream`],
//! offers of several files in [`super::offer`]).
// Sizes come from untrusted offers: no panicking shortcuts.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
use std::fs::File;
use std::io::Read;

/// The next `want` bytes of `file`, read into a fresh buffer that is never zeroed first
/// (`read_to_end` reads into the spare capacity; zeroing 1 MiB per read was 2% of the CPU).
pub(crate) fn read_unit(file: &mut File, want: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(want);
    file.take(want as u64).read_to_end(&mut buf)?;
    if buf.len() < want {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the file became shorter while it was being sent",
        ));
    }
    Ok(buf)
}

/// Cuts `file` to `len` only if it is not that long already. A truncation on ext4 (even of
/// a new, empty file to 0) marks the file as "replaced by truncate", and its close then
/// starts a flush of its data (`auto_da_alloc`): 1,000 small files took about a millisecond
/// each for that alone.
pub(crate) fn set_len_if_needed(file: &File, len: u64) -> std::io::Result<()> {
    if file.metadata()?.len() != len {
        file.set_len(len)?;
    }
    Ok(())
}

/// Runs blocking disk work off the event loop; a panic there carries on here.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Hands `msg` to a disk writer thread. `Err` when the writer has stopped (its own error says
/// why).
pub(crate) async fn send_to_writer<T: Send + 'static>(
    tx: &std::sync::mpsc::SyncSender<T>,
    msg: T,
) -> Result<(), ()> {
    // A full queue means the disk is slower than the network: wait off the event loop.
    match tx.try_send(msg) {
        Ok(()) => Ok(()),
        Err(std::sync::mpsc::TrySendError::Full(msg)) => {
            let tx = tx.clone();
            blocking(move || tx.send(msg).map_err(|_| ())).await
        }
        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Err(()),
    }
}
