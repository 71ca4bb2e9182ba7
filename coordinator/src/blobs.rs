//! The coordinator's content-addressed file store: one file per BLAKE3 hash, so the same
//! content shared many times is stored once.
use std::path::{Path, PathBuf};

/// Blobs under one directory: `ab/abcdef…` for content, `partial/…` for uploads in progress.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
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

    /// Whether the content is stored.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.path(hash).is_file()
    }

    /// Where an upload of this content accumulates (kept across interruptions for resume).
    pub fn partial(&self, hash: &[u8; 32]) -> std::io::Result<PathBuf> {
        let dir = self.dir.join("partial");
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("{}.part", hex::encode(hash))))
    }

    /// Moves a verified upload into place.
    pub fn commit(&self, partial: &Path, hash: &[u8; 32]) -> std::io::Result<PathBuf> {
        let path = self.path(hash);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
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
        assert!(!blobs.contains(&hash));
        let partial = blobs.partial(&hash).unwrap();
        std::fs::write(&partial, b"content").unwrap();
        let placed = blobs.commit(&partial, &hash).unwrap();
        assert_eq!(placed, blobs.path(&hash));
        assert!(blobs.contains(&hash));
        assert_eq!(std::fs::read(placed).unwrap(), b"content");
    }
}
