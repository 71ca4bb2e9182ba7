//! The list of files an offer carries: its bounds (checked by the coordinator when the offer
//! is made and again by the recipient), and the recipient's safe layout of it on disk.
//!
//! A list comes from another machine and may be hostile: `..` and absolute paths, drive
//! letters, control characters, a million entries, sizes that overflow a `u64` when added,
//! two entries that name the same file, a file and a folder of the same name. [`check`]
//! refuses what is out of bounds with the reason; [`layout`] maps what remains to relative
//! paths whose every component is sanitized ([`super::names::sanitize`]) and unique among its
//! siblings (compared case-insensitively, as Windows and macOS do), so nothing escapes the
//! chosen folder and nothing received overwrites something else received.
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
use std::path::PathBuf;

use crate::protocol::OfferEntry;
use crate::text::is_bidi_control;

use super::names::sanitize;

/// Most files one offer lists.
pub const MAX_OFFER_FILES: usize = 10_000;
/// Deepest path of an entry, in components.
pub const MAX_PATH_DEPTH: usize = 32;
/// Longest path component, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Longest path of one entry: its components' bytes plus one per component.
pub const MAX_PATH_BYTES: usize = 1024;
/// Most bytes all paths of one offer take together (components' bytes plus one per
/// component): an offer, with its 10,000 sizes and two usernames, then stays well inside one
/// frame (see `codec::tests`), and the coordinator's memory for waiting offers stays bounded.
pub const MAX_OFFER_PATH_BYTES: usize = 512 * 1024;

/// Why an offer's list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// No files at all.
    #[error("an offer must list at least one file")]
    Empty,
    /// More than [`MAX_OFFER_FILES`] files.
    #[error("an offer may list at most {MAX_OFFER_FILES} files, not {0}")]
    TooMany(usize),
    /// The paths together are too long.
    #[error("the file names of an offer may take at most {MAX_OFFER_PATH_BYTES} bytes together")]
    TooLong,
    /// One path is refused; says which and why.
    #[error("file {index} ({path:?}): {why}")]
    BadPath {
        /// Position in the list.
        index: usize,
        /// The path as sent (cut short).
        path: String,
        /// Why.
        why: &'static str,
    },
    /// The sizes add up to more than a `u64` holds.
    #[error("the file sizes add up to more than 2^64 bytes")]
    Overflow,
}

/// Checks an offer's list against the bounds; returns the total size.
pub fn check(files: &[OfferEntry]) -> Result<u64, ManifestError> {
    if files.is_empty() {
        return Err(ManifestError::Empty);
    }
    if files.len() > MAX_OFFER_FILES {
        return Err(ManifestError::TooMany(files.len()));
    }
    let mut all_bytes = 0usize;
    let mut total = 0u64;
    for (index, entry) in files.iter().enumerate() {
        let bad = |why| ManifestError::BadPath {
            index,
            path: entry.display_path().chars().take(100).collect(),
            why,
        };
        if entry.path.is_empty() {
            return Err(bad("the path is empty"));
        }
        if entry.path.len() > MAX_PATH_DEPTH {
            return Err(bad("the path is too deep (at most 32 components)"));
        }
        let bytes: usize = entry.path.iter().map(|c| c.len() + 1).sum();
        if bytes > MAX_PATH_BYTES {
            return Err(bad("the path is too long (at most 1024 bytes)"));
        }
        all_bytes += bytes;
        if all_bytes > MAX_OFFER_PATH_BYTES {
            return Err(ManifestError::TooLong);
        }
        for component in &entry.path {
            check_component(component).map_err(bad)?;
        }
        total = total
            .checked_add(entry.size)
            .ok_or(ManifestError::Overflow)?;
    }
    Ok(total)
}

/// One path component as a sender may give it: a name, not a path, shown beside the sender's
/// name (so nothing that reorders or hides text). Says why not.
pub fn check_component(c: &str) -> Result<(), &'static str> {
    if c.trim().is_empty() {
        return Err("a path component is empty");
    }
    if c.len() > MAX_COMPONENT_BYTES {
        return Err("a path component is longer than 255 bytes");
    }
    if c == "." || c == ".." {
        return Err("a path component may not be . or ..");
    }
    if c.contains(['/', '\\']) {
        return Err("a path component may not contain / or \\");
    }
    if c.chars().any(|ch| ch.is_control() || is_bidi_control(ch)) {
        return Err("a path may not contain control or direction-changing characters");
    }
    Ok(())
}

/// Where each file of a (checked) list goes, relative to the chosen folder: every component
/// sanitized, and made unique among its siblings (`name (1).ext`); a file never takes the name
/// of a folder of the same list, nor the other way round. Same order as `files`.
pub fn layout(files: &[OfferEntry]) -> Vec<PathBuf> {
    let mut tree = Tree::default();
    files
        .iter()
        .map(|entry| {
            let mut parent = ROOT;
            let mut path = PathBuf::new();
            let last = entry.path.len().saturating_sub(1);
            for (i, component) in entry.path.iter().enumerate() {
                let (node, name) = tree.place(parent, &sanitize(component), i < last);
                path.push(name);
                parent = node;
            }
            path
        })
        .collect()
}

const ROOT: usize = 0;

/// The folders and files of a layout, as it is built.
#[derive(Debug, Default)]
struct Tree {
    /// (parent node, folded name) → (node, is a folder).
    taken: HashMap<(usize, String), (usize, bool)>,
    /// (parent node, folded wanted name) → the next number to try, so that 10,000 entries of
    /// one name cost 10,000 look-ups, not 50 million.
    next_number: HashMap<(usize, String), u32>,
    nodes: usize,
}

impl Tree {
    /// The node and name for `name` under `parent`: an existing folder is reused for a
    /// folder; anything else that is taken makes a numbered variant.
    fn place(&mut self, parent: usize, name: &str, folder: bool) -> (usize, String) {
        let key = (parent, fold(name));
        match self.taken.get(&key) {
            Some(&(node, true)) if folder => return (node, name.to_string()),
            None => return (self.add(key, folder), name.to_string()),
            Some(_) => {}
        }
        let (stem, ext) = split_ext(name, folder);
        let counter = self.next_number.entry(key.clone()).or_insert(1);
        loop {
            let candidate = format!("{stem} ({counter}){ext}");
            *counter += 1;
            let candidate_key = (parent, fold(&candidate));
            if !self.taken.contains_key(&candidate_key) {
                return (self.add(candidate_key, folder), candidate);
            }
        }
    }

    fn add(&mut self, key: (usize, String), folder: bool) -> usize {
        self.nodes += 1;
        self.taken.insert(key, (self.nodes, folder));
        self.nodes
    }
}

/// Case-insensitive comparison key.
fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// `report.pdf` → (`report`, `.pdf`); folders and dot-files keep their whole name as stem.
pub(crate) fn split_ext(name: &str, folder: bool) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && !folder => (name.get(..i).unwrap_or(name), name.get(i..).unwrap_or("")),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &[&str], size: u64) -> OfferEntry {
        OfferEntry {
            path: path.iter().map(|s| s.to_string()).collect(),
            size,
        }
    }

    #[test]
    fn hostile_lists_are_refused_with_the_reason() {
        let cases: Vec<(Vec<OfferEntry>, &str)> = vec![
            (vec![], "at least one"),
            (vec![entry(&["..", "x"], 1)], ". or .."),
            (vec![entry(&["a", "..", "x"], 1)], ". or .."),
            (vec![entry(&["/etc/passwd"], 1)], "/ or \\"),
            (vec![entry(&["C:\\x"], 1)], "/ or \\"),
            (vec![entry(&["a\nb"], 1)], "control"),
            (vec![entry(&["a\u{202E}b"], 1)], "direction"),
            (vec![entry(&[], 1)], "empty"),
            (vec![entry(&[" "], 1)], "empty"),
            (vec![entry(&[&"x".repeat(256)], 1)], "255"),
            (vec![entry(&["d"; 33], 1)], "too deep"),
            (vec![entry(&["a"], u64::MAX), entry(&["b"], 1)], "2^64"),
            (vec![entry(&["a"], 1); MAX_OFFER_FILES + 1], "at most 10000"),
        ];
        for (files, why) in cases {
            let e = check(&files).unwrap_err().to_string();
            assert!(e.contains(why), "{e:?} should say {why:?}");
        }
        let long = entry(&[&"x".repeat(200) as &str; 6], 1);
        assert!(check(&[long]).unwrap_err().to_string().contains("too long"));
        let many = vec![entry(&[&"x".repeat(250), &"y".repeat(250)], 1); 1100];
        assert_eq!(check(&many), Err(ManifestError::TooLong));
    }

    #[test]
    fn a_fair_list_passes_with_its_total() {
        let files = [
            entry(&["photos", "a.jpg"], 5),
            entry(&["photos", "b.jpg"], 7),
        ];
        assert_eq!(check(&files), Ok(12));
    }

    #[test]
    fn layout_sanitizes_and_never_lets_two_entries_meet() {
        let files = [
            entry(&["dir", "a.txt"], 1),
            entry(&["dir", "A.TXT"], 1),
            entry(&["dir", "a.txt"], 1),
            entry(&["dir"], 1),
            entry(&["dir", "a?b"], 1),
            entry(&["dir", "a_b"], 1),
            entry(&["CON"], 1),
            entry(&["dir", "a.txt", "inner"], 1),
        ];
        let paths: Vec<String> = layout(&files)
            .iter()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(
            paths,
            [
                "dir/a.txt",
                "dir/A (1).TXT",
                "dir/a (2).txt",
                "dir (1)",
                "dir/a_b",
                "dir/a_b (1)",
                "_CON",
                "dir/a.txt (3)/inner",
            ]
        );
    }

    #[test]
    fn many_entries_of_one_name_are_laid_out_quickly() {
        let files = vec![entry(&["same.txt"], 1); MAX_OFFER_FILES];
        let paths = layout(&files);
        let unique: std::collections::HashSet<_> = paths.iter().collect();
        assert_eq!(unique.len(), MAX_OFFER_FILES);
    }
}
