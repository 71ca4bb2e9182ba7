//! Files and folders that only their owner may read: every data directory of lanchat
//! (coordinator and client) is `0700` and every file in it `0600`, as under `umask 077`.
//!
//! Why: the coordinator's database holds every password hash and every direct message; with
//! the usual `0755`/`0644` any other account on the server could read them. Existing data
//! from before is tightened too, not only what is created now.
//!
//! On Unix these set the mode bits; elsewhere they only create what is missing. On Windows the
//! protection is the folder's: lanchat's default data folders are in the user's profile
//! (`%LOCALAPPDATA%\lanchat`, not roaming), which only that user, SYSTEM and administrators
//! can read, and new files inherit that; a `--data` folder elsewhere must be protected the same
//! way (see the README, "Windows").
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of a private directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) readable by the owner only, and tightens it if it
/// existed already.
pub fn dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)?;
    restrict(dir, DIR_MODE)
}

/// Options that create a file readable by the owner only (write access, no truncation: add
/// `truncate` or `append` as needed).
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Writes `bytes` to `path` as a private file (replacing what was there), on disk before it
/// returns.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file: File = options().truncate(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    restrict(path, FILE_MODE)
}

/// Makes `dir` and everything in it private: folders `0700`, files `0600` (what an older
/// version created is made private at the next start). Symbolic links are left alone, and not
/// followed; a `dir` that does not exist is fine.
pub fn tighten_all(dir: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if !meta.is_dir() {
        return restrict(dir, FILE_MODE);
    }
    restrict(dir, DIR_MODE)?;
    for entry in std::fs::read_dir(dir)? {
        tighten_all(&entry?.path())?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_and_existing_paths_end_up_private() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a/b");
        dir(&nested).unwrap();
        assert_eq!(mode(&nested), DIR_MODE);
        assert_eq!(mode(&root.path().join("a")), DIR_MODE, "parents too");

        let file = nested.join("secret");
        write(&file, b"hash").unwrap();
        assert_eq!(mode(&file), FILE_MODE);

        // What an older version left world-readable is tightened.
        let loose = root.path().join("loose");
        std::fs::create_dir(&loose).unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = loose.join("lanchat.db");
        std::fs::write(&db, b"x").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        tighten_all(&loose).unwrap();
        tighten_all(&loose.join("missing")).unwrap();
        assert_eq!((mode(&loose), mode(&db)), (DIR_MODE, FILE_MODE));

        // A whole tree, without following a link out of it.
        let inner = loose.join("blobs/ab");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("blob"), b"x").unwrap();
        let outside = root.path().join("outside");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, loose.join("link")).unwrap();
        for p in [loose.join("blobs"), inner.clone()] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        tighten_all(&loose).unwrap();
        assert_eq!(mode(&loose.join("blobs")), DIR_MODE);
        assert_eq!(mode(&inner), DIR_MODE);
        assert_eq!(mode(&inner.join("blob")), FILE_MODE);
        assert_eq!(mode(&outside), 0o644, "links are not followed");
    }
}
