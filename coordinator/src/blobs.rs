//! The coordinator's content-addressed file store: one file per BLAKE3 hash, so the same
//! content shared many times is stored once.
//!
//! Uploads accumulate in `partial/` under a name of the uploader's and the content's, so an
//! interrupted upload resumes for its uploader and nobody else learns of it or writes into it.
//! Partials nobody has touched for [`PARTIAL_TTL`] are swept ([`Blobs::sweep_partials`]), and
//! what they hold counts against their uploader's quota until then. Everything here is
//! private to the coordinator's account (`0700` folders, `0600` files).
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lanchat_net::private;
use lanchat_store::UserId;

/// How long an abandoned partial upload is kept for its uploader to resume.
pub const PARTIAL_TTL: Duration = Duration::from_secs(24 * 3600);

/// Blobs under one directory: `ab/abcdef…` for content, `partial/…` for uploads in progress.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// An upload in progress (or abandoned), as found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Who uploads it.
    pub user: UserId,
    /// The content it is to become.
    pub hash: [u8; 32],
    /// Bytes it holds.
    pub bytes: u64,
}

impl Blobs {
    /// Blobs in `dir` (created on demand).
    pub fn new(dir: PathBuf) -> Self {
        Blobs { dir }
    }

    /// Where the content with this hash lives.
    pub fn path(&self, hash: &[u8; 32]) -> PathBuf {
        let hex = hex::encode(hash);
        self.dir.join(&hex[..2]).join(hex)
    }

    /// The size of the content with this hash, if it is stored.
    pub fn stored_size(&self, hash: &[u8; 32]) -> Option<u64> {
        std::fs::metadata(self.path(hash))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    fn partial_dir(&self) -> PathBuf {
        self.dir.join("partial")
    }

    /// Where `user`'s upload of this content accumulates (kept across interruptions for
    /// resume); created empty and private if it is not there.
    pub fn partial(&self, user: UserId, hash: &[u8; 32]) -> std::io::Result<PathBuf> {
        let dir = self.partial_dir();
        private::dir(&dir)?;
        let path = dir.join(format!("{user}-{}.part", hex::encode(hash)));
        private::options().open(&path)?;
        Ok(path)
    }

    /// Every partial upload on disk (unreadable entries are skipped).
    pub fn partials(&self) -> Vec<Partial> {
        let Ok(entries) = std::fs::read_dir(self.partial_dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let (user, hash) = name.to_str()?.strip_suffix(".part")?.split_once('-')?;
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(hash, &mut bytes).ok()?;
                Some(Partial {
                    user: user.parse().ok()?,
                    hash: bytes,
                    bytes: entry.metadata().ok()?.len(),
                })
            })
            .collect()
    }

    /// Deletes partial uploads untouched since `max_age` before `now`; returns how many.
    pub fn sweep_partials(&self, now: SystemTime, max_age: Duration) -> usize {
        let Ok(entries) = std::fs::read_dir(self.partial_dir()) else {
            return 0;
        };
        let mut swept = 0;
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > max_age);
            if stale && std::fs::remove_file(entry.path()).is_ok() {
                swept += 1;
            }
        }
        swept
    }

    /// Removes the content with this hash (no share refers to it any more: the messages that
    /// shared it were deleted, or their room). Nothing happens if it is not stored.
    pub fn remove(&self, hash: &[u8; 32]) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(hash)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Moves a verified upload into place.
    pub fn commit(&self, partial: &Path, hash: &[u8; 32]) -> std::io::Result<PathBuf> {
        let path = self.path(hash);
        if let Some(parent) = path.parent() {
            private::dir(parent)?;
        }
        std::fs::rename(partial, &path)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_places_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        let hash = *blake3::hash(b"content").as_bytes();
        assert_eq!(blobs.stored_size(&hash), None);
        let partial = blobs.partial(7, &hash).unwrap();
        std::fs::write(&partial, b"content").unwrap();
        assert_eq!(
            blobs.partials(),
            [Partial {
                user: 7,
                hash,
                bytes: 7
            }]
        );
        let placed = blobs.commit(&partial, &hash).unwrap();
        assert_eq!(placed, blobs.path(&hash));
        assert_eq!(blobs.stored_size(&hash), Some(7));
        assert_eq!(std::fs::read(placed).unwrap(), b"content");
        assert!(blobs.partials().is_empty());
        blobs.remove(&hash).unwrap();
        assert_eq!(blobs.stored_size(&hash), None);
        blobs.remove(&hash).unwrap();
    }

    #[test]
    fn partials_are_per_uploader_and_swept_when_stale() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("blobs"));
        let hash = [3; 32];
        let mine = blobs.partial(1, &hash).unwrap();
        let theirs = blobs.partial(2, &hash).unwrap();
        assert_ne!(mine, theirs, "nobody writes into another's upload");
        let now = SystemTime::now();
        assert_eq!(blobs.sweep_partials(now, PARTIAL_TTL), 0, "fresh ones stay");
        let old = now - PARTIAL_TTL - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&mine)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(blobs.sweep_partials(now, PARTIAL_TTL), 1);
        assert!(!mine.exists() && theirs.exists());
    }
}
