//! Making a file name received from someone else safe to create in a download directory.
//!
//! The name comes from another machine and may be hostile. What survives is a single path
//! component: no separators, no `..`, no drive or absolute paths, no control characters, no
//! bidirectional controls (`invoice<RLO>fdp.exe` would show as `invoiceexe.pdf`), no
//! names Windows reserves for devices, no trailing dots or spaces, not too long. The final
//! path is then checked to lie inside the directory, and an existing file is never
//! overwritten: a numbered name is chosen instead.
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
use std::path::{Path, PathBuf};

use crate::text::is_bidi_control;

/// Longest name kept, in bytes (most file systems allow 255).
pub const MAX_NAME_BYTES: usize = 200;

const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A safe single-component file name for `name` (never empty).
pub fn sanitize(name: &str) -> String {
    // Keep only the last path component, whatever the separator convention.
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    // Drive letters ("C:x") and alternate data streams ("a:b") go with the colon.
    let last = last.rsplit(':').next().unwrap_or("");
    let mut clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .map(|c| match c {
            '<' | '>' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    if clean.len() > MAX_NAME_BYTES {
        clean = shorten(&clean);
    }
    // Trim after shortening: the cut may land just after a dot or a space.
    let mut clean = clean.trim_end_matches(['.', ' ']).trim_start().to_string();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        clean = "received-file".to_string();
    }
    let stem = clean.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&stem.trim_end()) {
        clean = format!("_{clean}");
        if clean.len() > MAX_NAME_BYTES {
            clean = shorten(&clean).trim_end_matches(['.', ' ']).to_string();
        }
    }
    clean
}

/// Cuts a long name to MAX_NAME_BYTES, keeping a short extension, on a char boundary.
fn shorten(name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if name.len() - i <= 16 && i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut budget = MAX_NAME_BYTES - ext.len();
    while !stem.is_char_boundary(budget) {
        budget -= 1;
    }
    format!("{}{}", &stem[..budget], ext)
}

/// Why a name could not be placed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlaceError {
    /// The sanitized path would still leave the directory (should be impossible).
    #[error("refusing {0:?}: it would be written outside the download directory")]
    Escapes(String),
    /// Every numbered variant exists.
    #[error("no free name for {0:?} in the download directory")]
    NoFreeName(String),
}

/// A path in `dir` for the received `name` that does not exist yet: `name`, then
/// `name (1).ext`, `name (2).ext`, …
pub fn unique_path(dir: &Path, name: &str) -> Result<PathBuf, PlaceError> {
    let clean = sanitize(name);
    let (stem, ext) = match clean.rfind('.') {
        Some(i) if i > 0 => (&clean[..i], &clean[i..]),
        _ => (clean.as_str(), ""),
    };
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            clean.clone()
        } else {
            format!("{stem} ({n}){ext}")
        };
        let path = dir.join(&candidate);
        if path.parent() != Some(dir)
            || path.file_name().map(|f| f.to_string_lossy()) != Some(candidate.as_str().into())
        {
            return Err(PlaceError::Escapes(name.to_string()));
        }
        if !path.exists() && std::fs::symlink_metadata(&path).is_err() {
            return Ok(path);
        }
    }
    Err(PlaceError::NoFreeName(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_one_harmless_component() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("/abs", "abs"),
            ("C:\\x", "x"),
            ("C:x", "x"),
            ("a\0b", "ab"),
            ("CON", "_CON"),
            ("con.txt", "_con.txt"),
            ("lpt1", "_lpt1"),
            ("report.pdf. . ", "report.pdf"),
            ("two\nlines\r.txt", "twolines.txt"),
            ("..", "received-file"),
            ("...", "received-file"),
            ("", "received-file"),
            ("dir/", "received-file"),
            ("a<b>c|d?.txt", "a_b_c_d_.txt"),
            ("normal name (1).tar.gz", "normal name (1).tar.gz"),
            ("ünïcödé.txt", "ünïcödé.txt"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("\u{2067}x\u{2069}.txt", "x.txt"),
        ];
        for (hostile, expected) in cases {
            assert_eq!(sanitize(hostile), expected, "{hostile:?}");
        }
    }

    #[test]
    fn a_cut_never_leaves_a_trailing_space_or_dot() {
        // Found by the file_name fuzz target: the 200-byte cut landed after a space.
        let name = format!("{}{}x", "é".repeat(99), " ");
        let s = sanitize(&name);
        assert!(
            s.len() <= MAX_NAME_BYTES && !s.ends_with([' ', '.']),
            "{s:?}"
        );
        let dots = format!("{}.....{}", "a".repeat(197), "b".repeat(50));
        let s = sanitize(&dots);
        assert!(!s.ends_with([' ', '.']), "{s:?}");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary_keeping_the_extension() {
        let long = format!("{}.txt", "é".repeat(300));
        let s = sanitize(&long);
        assert!(s.len() <= MAX_NAME_BYTES);
        assert!(s.ends_with(".txt"));
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let first = unique_path(dir.path(), "../report.pdf").unwrap();
        assert_eq!(first, dir.path().join("report.pdf"));
        std::fs::write(&first, b"x").unwrap();
        let second = unique_path(dir.path(), "report.pdf").unwrap();
        assert_eq!(second, dir.path().join("report (1).pdf"));
        std::fs::write(&second, b"x").unwrap();
        assert_eq!(
            unique_path(dir.path(), "report.pdf").unwrap(),
            dir.path().join("report (2).pdf")
        );
        for hostile in ["../../etc/passwd", "/abs", "C:\\x", "a\0b", "CON", "x\ny"] {
            let p = unique_path(dir.path(), hostile).unwrap();
            assert_eq!(p.parent(), Some(dir.path()), "{hostile:?}");
        }
    }
}
