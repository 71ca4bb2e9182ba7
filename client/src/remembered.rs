//! The kept session ("keep me signed in") in the client's data directory: one small text file
//! that only this user can read (mode 0600 on Unix; on Windows the data directory is inside
//! the user's profile, whose default ACL already keeps other users out).
//!
//! Three lines: the username, the issuing coordinator's fingerprint (hex) and the token
//! (hex). A file that does not parse is treated as no session (and replaced at the next
//! login), never as an error that keeps the person from logging in.
use std::io::Write;
use std::path::{Path, PathBuf};

use lanchat_net::fingerprint::Fingerprint;

use crate::core::SavedSession;

/// File name inside the client's data directory.
pub const FILE: &str = "session";

/// Where the kept session of a data directory lives.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The session kept in `dir`, if there is one that parses.
pub fn load(dir: &Path) -> std::io::Result<Option<SavedSession>> {
    match std::fs::read_to_string(path(dir)) {
        Ok(text) => Ok(parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn parse(text: &str) -> Option<SavedSession> {
    let mut lines = text.lines();
    let username = lines.next()?.trim().to_string();
    let issuer: [u8; 32] = hex::decode(lines.next()?.trim()).ok()?.try_into().ok()?;
    let token: [u8; 32] = hex::decode(lines.next()?.trim()).ok()?.try_into().ok()?;
    (!username.is_empty()).then_some(SavedSession {
        username,
        issuer: Fingerprint(issuer),
        token,
    })
}

/// Keeps `session` in `dir`, readable by this user only; written to a temporary file first so
/// a crash never leaves half a token behind.
pub fn save(dir: &Path, session: &SavedSession) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let target = path(dir);
    let tmp = target.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    writeln!(
        file,
        "{}\n{}\n{}",
        session.username,
        hex::encode(session.issuer.0),
        hex::encode(session.token)
    )?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, &target)
}

/// Deletes the kept session of `dir` (nothing kept: nothing to do).
pub fn forget(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SavedSession {
        SavedSession {
            username: "alice".into(),
            issuer: Fingerprint::of_cert(b"office"),
            token: [9; 32],
        }
    }

    #[test]
    fn a_kept_session_survives_a_reload_and_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        save(dir.path(), &session()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(session()));
        forget(dir.path()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        forget(dir.path()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn only_its_user_can_read_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &session()).unwrap();
        let mode = std::fs::metadata(path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_file_is_no_session() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "alice\nnot hex\n").unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
    }
}
