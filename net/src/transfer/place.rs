//! Putting an offer's verified files in place, and making them durable.
//!
//! The staging folder holds the files by their position in the offer (`0`, `1`, …). Placing
//! them maps the offer's list through [`manifest::layout`] (sanitized, unique components) under
//! top-level names that are free in the chosen folder: an existing `photos` makes the new one
//! `photos (1)`; a folder is created fresh (never merged into an existing one), and a file
//! never replaces an existing one. So nothing lands outside the folder, and nothing already
//! there is touched.
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
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::manifest::{self, split_ext};
use crate::protocol::OfferEntry;

/// What [`place`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The top-level files and folders, in the offer's order.
    pub top: Vec<PathBuf>,
    /// Every folder a file was moved into (to make the moves durable).
    pub parents: Vec<PathBuf>,
}

/// Moves the offer's files from `staging` into `dir`. The staging folder is removed once
/// empty.
pub fn place(staging: &Path, dir: &Path, files: &[OfferEntry]) -> std::io::Result<Placed> {
    let layout = manifest::layout(files);
    // Which top-level names are folders (some path goes below them).
    let mut folders: HashSet<&std::ffi::OsStr> = HashSet::new();
    for rel in &layout {
        let mut parts = rel.components();
        if let (Some(Component::Normal(top)), Some(_)) = (parts.next(), parts.next()) {
            folders.insert(top);
        }
    }
    let mut chosen: HashMap<&std::ffi::OsStr, PathBuf> = HashMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut placed = Vec::new();
    let mut parents: Vec<PathBuf> = Vec::new();
    for (index, rel) in layout.iter().enumerate() {
        let mut parts = rel.components();
        let Some(Component::Normal(top)) = parts.next() else {
            return Err(escapes(rel));
        };
        let base = match chosen.get(top) {
            Some(base) => base.clone(),
            None => {
                let base = free_top(
                    dir,
                    &top.to_string_lossy(),
                    folders.contains(top),
                    &mut taken,
                )?;
                chosen.insert(top, base.clone());
                placed.push(base.clone());
                base
            }
        };
        let mut target = base;
        for part in parts {
            match part {
                Component::Normal(name) => target.push(name),
                _ => return Err(escapes(rel)),
            }
        }
        if !target.starts_with(dir) {
            return Err(escapes(rel));
        }
        if let Some(parent) = target.parent() {
            if parents.last().map(PathBuf::as_path) != Some(parent) {
                std::fs::create_dir_all(parent)?;
                if !parents.iter().any(|p| p == parent) {
                    parents.push(parent.to_path_buf());
                }
            }
        }
        std::fs::rename(staging.join(index.to_string()), &target)?;
    }
    let _ = std::fs::remove_dir(staging);
    Ok(Placed {
        top: placed,
        parents,
    })
}

fn escapes(rel: &Path) -> std::io::Error {
    std::io::Error::other(format!(
        "refusing {}: it would be written outside the download folder",
        rel.display()
    ))
}

/// A free top-level path in `dir` for `name`: `name`, `name (1)`, … A folder is created here
/// (so that it is ours alone); a file's name is reserved in `taken`.
fn free_top(
    dir: &Path,
    name: &str,
    folder: bool,
    taken: &mut HashSet<String>,
) -> std::io::Result<PathBuf> {
    let (stem, ext) = split_ext(name, folder);
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        if taken.contains(&candidate.to_lowercase()) {
            continue;
        }
        let path = dir.join(&candidate);
        if folder {
            match std::fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        } else if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        taken.insert(candidate.to_lowercase());
        return Ok(path);
    }
    Err(std::io::Error::other(format!(
        "no free name for {name:?} in the download folder"
    )))
}

/// Makes everything written under `path` durable: on Linux one `syncfs` (one journal commit
/// for thousands of small files instead of one each); elsewhere the files and folders under
/// it, one by one.
pub fn durable(path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let dir = std::fs::File::open(path)?;
        rustix::fs::syncfs(&dir).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        sync_tree(path)
    }
}

/// Makes the entries of these folders durable (the files moved into them); Windows keeps
/// folder entries in its journal and cannot open a folder for this.
pub fn sync_dirs(dirs: &[PathBuf]) -> std::io::Result<()> {
    #[cfg(unix)]
    for dir in dirs {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dirs;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn sync_tree(path: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(entry.path())?
                .sync_data()?;
        }
    }
    // Folders can be opened and synced on Unix; Windows keeps folder entries in its journal.
    #[cfg(unix)]
    std::fs::File::open(path)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &[&str]) -> OfferEntry {
        OfferEntry {
            path: path.iter().map(|s| s.to_string()).collect(),
            size: 1,
        }
    }

    #[test]
    fn existing_things_are_never_touched_and_nothing_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join(".stage");
        std::fs::create_dir(&staging).unwrap();
        std::fs::create_dir(dir.path().join("photos")).unwrap();
        std::fs::write(dir.path().join("photos/a.jpg"), b"old").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"old").unwrap();
        let files = [
            entry(&["photos", "a.jpg"]),
            entry(&["photos", "sub", "b.jpg"]),
            entry(&["notes.txt"]),
            entry(&["photos (1)"]),
        ];
        for i in 0..files.len() {
            std::fs::write(staging.join(i.to_string()), format!("new {i}")).unwrap();
        }
        let placed = place(&staging, dir.path(), &files).unwrap();
        let names: Vec<_> = placed
            .top
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["photos (1)", "notes (1).txt", "photos (1) (1)"]);
        let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
        assert_eq!(read("photos/a.jpg"), "old");
        assert_eq!(read("notes.txt"), "old");
        assert_eq!(read("photos (1)/a.jpg"), "new 0");
        assert_eq!(read("photos (1)/sub/b.jpg"), "new 1");
        assert_eq!(read("notes (1).txt"), "new 2");
        assert_eq!(read("photos (1) (1)"), "new 3");
        assert!(!staging.exists());
        durable(dir.path()).unwrap();
        sync_dirs(&placed.parents).unwrap();
        assert_eq!(placed.parents.len(), 3, "{:?}", placed.parents);
    }
}
