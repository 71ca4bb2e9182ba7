//! Listing what an offer sends: the files given, and the trees of the folders given — sizes
//! only, nothing is read (each file's hash is computed while it is sent).
//!
//! Inside a folder only regular files are offered: symbolic links are not followed (a link to
//! `/` would offer the whole disk, a link loop would never end), and devices, sockets and
//! pipes are no files to send; each is reported as left out, with the reason. A path given
//! by name is taken as the person meant it, link or not.
use std::path::{Path, PathBuf};

use lanchat_net::protocol::OfferEntry;
use lanchat_net::transfer::manifest::{self, MAX_OFFER_FILES, MAX_PATH_DEPTH};

use crate::core::{ScanJob, Scanned};

/// Lists the job's files (blocking: run off the event loop).
pub(super) fn scan(job: &ScanJob) -> Result<Scanned, String> {
    let mut out = Scanned::default();
    if job.paths.is_empty() {
        return Err("nothing to send: give at least one file or folder".into());
    }
    for path in &job.paths {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = match (&job.name, job.paths.len()) {
            (Some(name), 1) if meta.is_file() => name.clone(),
            _ => file_name(path)?,
        };
        if meta.is_file() {
            push(&mut out, vec![name], path.clone(), meta.len())?;
        } else if meta.is_dir() {
            walk(&mut out, path, &mut vec![name])?;
        } else {
            return Err(format!(
                "{} is not a regular file or folder",
                path.display()
            ));
        }
    }
    if out.files.is_empty() {
        let why = out.skipped.first().cloned().unwrap_or_default();
        return Err(format!("no files to send in what was given {why}"));
    }
    Ok(out)
}

fn file_name(path: &Path) -> Result<String, String> {
    // `.` and `..` have no name of their own: name them by what they are.
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    full.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} has no name to offer it under", path.display()))
}

fn push(out: &mut Scanned, path: Vec<String>, source: PathBuf, size: u64) -> Result<(), String> {
    if out.files.len() == MAX_OFFER_FILES {
        return Err(format!(
            "an offer may list at most {MAX_OFFER_FILES} files; send the folder in parts, or \
             as an archive"
        ));
    }
    out.files.push(OfferEntry { path, size });
    out.sources.push(source);
    Ok(())
}

/// Adds the regular files under `dir` (whose offered path is `prefix`), in name order.
fn walk(out: &mut Scanned, dir: &Path, prefix: &mut Vec<String>) -> Result<(), String> {
    let shown = |p: &[String]| p.join("/");
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) => {
            out.skipped.push(format!("{}: {e}", shown(prefix)));
            return Ok(());
        }
    };
    let mut entries: Vec<(String, PathBuf, std::fs::FileType)> = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        entries.push((name, entry.path(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, path, kind) in entries {
        prefix.push(name);
        let here = shown(prefix);
        if let Err(why) = manifest::check_component(prefix.last().map_or("", String::as_str)) {
            out.skipped.push(format!("{here}: {why}"));
        } else if kind.is_symlink() {
            out.skipped
                .push(format!("{here}: a symbolic link (not followed)"));
        } else if kind.is_dir() {
            if prefix.len() >= MAX_PATH_DEPTH {
                out.skipped
                    .push(format!("{here}: deeper than {MAX_PATH_DEPTH} folders"));
            } else {
                walk(out, &path, prefix)?;
            }
        } else if kind.is_file() {
            match std::fs::symlink_metadata(&path) {
                Ok(meta) => push(out, prefix.clone(), path, meta.len())?,
                Err(e) => out.skipped.push(format!("{here}: {e}")),
            }
        } else {
            out.skipped.push(format!("{here}: not a regular file"));
        }
        prefix.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(paths: Vec<PathBuf>) -> ScanJob {
        ScanJob {
            to: "bob".into(),
            paths,
            name: None,
        }
    }

    #[test]
    fn a_folder_sends_its_regular_files_and_says_what_it_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("photos");
        std::fs::create_dir_all(top.join("sub")).unwrap();
        std::fs::write(top.join("b.jpg"), b"bb").unwrap();
        std::fs::write(top.join("a.jpg"), b"a").unwrap();
        std::fs::write(top.join("sub/c.jpg"), b"ccc").unwrap();
        let loose = dir.path().join("notes.txt");
        std::fs::write(&loose, b"n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/", top.join("root")).unwrap();
        let scanned = scan(&job(vec![top.clone(), loose])).unwrap();
        let paths: Vec<(String, u64)> = scanned
            .files
            .iter()
            .map(|e| (e.display_path(), e.size))
            .collect();
        assert_eq!(
            paths,
            [
                ("photos/a.jpg".to_string(), 1),
                ("photos/b.jpg".to_string(), 2),
                ("photos/sub/c.jpg".to_string(), 3),
                ("notes.txt".to_string(), 1),
            ]
        );
        assert_eq!(scanned.sources[2], top.join("sub/c.jpg"));
        #[cfg(unix)]
        assert_eq!(
            scanned.skipped,
            ["photos/root: a symbolic link (not followed)"]
        );
    }

    #[test]
    fn nothing_to_send_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = scan(&job(vec![dir.path().to_path_buf()])).unwrap_err();
        assert!(e.contains("no files"), "{e}");
        let e = scan(&job(vec![dir.path().join("missing")])).unwrap_err();
        assert!(e.contains("missing"), "{e}");
    }
}
