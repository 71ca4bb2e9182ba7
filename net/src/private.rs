//! Files and folders that only their owner may read: every data directory of lanchat
//! (coordinator and client) is `0700` and every file in it `0600`, as under `umask 077`.
//!
//! Why: the coordinator's database holds every password hash and every direct message; with
//! the usual `0755`/`0644` any other account on the server could read them. Existing data
//! from before is tightened too, not only what is created now.
//!
//! On Unix these set the mode bits; elsewhere they only create what is missing (Windows
//! access control is set by the installer, not here).
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

/// Makes an existing `path` private (a no-op for one that does not exist): `0700` for a
/// directory, `0600` for a file.
pub fn tighten(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => restrict(path, DIR_MODE),
        Ok(_) => restrict(path, FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
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
        dir(&loose).unwrap();
        tighten(&db).unwrap();
        tighten(&loose.join("missing")).unwrap();
        assert_eq!((mode(&loose), mode(&db)), (DIR_MODE, FILE_MODE));
    }
}
