//! What the client knows about coordinators across runs, in its data directory: the
//! [`Pins`] (the known-coordinators file) and, beside them, the [`OpaqueLogins`] (which
//! coordinator has seen which user log in with OPAQUE: no "legacy" answer is believed there).
use std::path::{Path, PathBuf};

use lanchat_net::private;

use crate::core::{OpaqueLogins, Pins};

/// File name of the pins inside the client's data directory.
pub const FILE: &str = "known_coordinators";
/// File name of the OPAQUE logins inside the client's data directory.
pub const OPAQUE_FILE: &str = "opaque_logins";

/// Where the pins of a data directory live.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Loads the pins kept in `dir` (missing file: nothing pinned).
pub fn load(dir: &Path) -> std::io::Result<Pins> {
    read(&path(dir)).map(|text| Pins::parse(&text))
}

/// Writes `pins` to `dir` (via a temporary file, so a crash never leaves it half written),
/// readable by the owner only.
pub fn save(dir: &Path, pins: &Pins) -> std::io::Result<()> {
    write(dir, FILE, &pins.to_text())
}

/// Loads the OPAQUE logins kept in `dir` (missing file: none).
pub fn load_opaque(dir: &Path) -> std::io::Result<OpaqueLogins> {
    read(&dir.join(OPAQUE_FILE)).map(|text| OpaqueLogins::parse(&text))
}

/// Writes the OPAQUE logins to `dir`, like [`save`].
pub fn save_opaque(dir: &Path, logins: &OpaqueLogins) -> std::io::Result<()> {
    write(dir, OPAQUE_FILE, &logins.to_text())
}

fn read(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    private::dir(dir)?;
    let target = dir.join(name);
    let tmp = target.with_extension("tmp");
    private::write(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, &target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Pinned;
    use lanchat_net::fingerprint::Fingerprint;

    #[test]
    fn pins_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let a = Fingerprint::of_cert(b"a");
        assert_eq!(load(dir.path()).unwrap(), Pins::default());
        let mut pins = load(dir.path()).unwrap();
        pins.pin(a, "office hub", None);
        save(dir.path(), &pins).unwrap();
        assert_eq!(
            load(dir.path()).unwrap().check("office hub", &a),
            Pinned::Same
        );
        let mut logins = load_opaque(dir.path()).unwrap();
        logins.insert(a, "alice");
        save_opaque(dir.path(), &logins).unwrap();
        assert!(load_opaque(dir.path()).unwrap().contains(&a, "alice"));
        assert_eq!(load(dir.path()).unwrap().entries().len(), 1);
    }
}
