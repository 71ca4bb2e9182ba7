//! Writing behind: a received file's data goes to the disk while it arrives, so the page
//! cache never holds more than a bounded window of it dirty and the fsync before success is
//! short (it used to flush a whole 1 GiB file at the end, while the network stood still).
//!
//! On Linux, every [`WINDOW`] written starts the write-back of that window and drops from
//! the cache the window before it, which is written by then (`posix_fadvise(DONTNEED)`
//! starts write-back of dirty pages and drops clean ones: `sync_file_range` without
//! `unsafe`). A received file is seldom read back at once, so keeping it cached would only
//! push out what the machine uses. Elsewhere the final fsync does all the work.
use std::fs::File;

/// How much is written between two write-back starts.
pub const WINDOW: u64 = 16 * 1024 * 1024;

/// Tracks how much of one file was written and starts its write-back window by window.
#[derive(Debug)]
pub struct WriteBehind {
    /// Where the current window starts.
    window: u64,
}

impl WriteBehind {
    /// For a file being written from offset `from`.
    pub fn new(from: u64) -> Self {
        WriteBehind { window: from }
    }

    /// The file now holds bytes up to `end`: start writing back full windows.
    pub fn wrote(&mut self, file: &File, end: u64) {
        while end.saturating_sub(self.window) >= WINDOW {
            start_write_back(file, self.window);
            self.window += WINDOW;
        }
    }
}

#[cfg(target_os = "linux")]
fn start_write_back(file: &File, window: u64) {
    use rustix::fs::{fadvise, Advice};
    use std::num::NonZeroU64;
    // Best effort: a failure costs a longer fsync at the end, never data.
    let len = NonZeroU64::new(WINDOW);
    // The window just written: start its write-back.
    let _ = fadvise(file, window, len, Advice::DontNeed);
    // The one before: written back by now; drop it from the cache.
    if let Some(before) = window.checked_sub(WINDOW) {
        let _ = fadvise(file, before, len, Advice::DontNeed);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_write_back(_file: &File, _window: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn writing_behind_keeps_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = File::create(&path).unwrap();
        let mut behind = WriteBehind::new(0);
        let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        let mut end = 0;
        for _ in 0..40 {
            file.write_all(&chunk).unwrap();
            end += chunk.len() as u64;
            behind.wrote(&file, end);
        }
        assert_eq!(behind.window, 2 * WINDOW);
        file.sync_data().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len() as u64, end);
        assert!(back.chunks(chunk.len()).all(|c| c == chunk.as_slice()));
    }
}
