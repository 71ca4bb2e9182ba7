//! The known-coordinators file in the client's data directory: the [`Pins`] kept across runs.
use std::path::{Path, PathBuf};

use lanchat_net::private;

use crate::core::Pins;

/// File name inside the client's data directory.
pub const FILE: &str = "known_coordinators";

/// Where the pins of a data directory live.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Loads the pins kept in `dir` (missing file: nothing pinned).
pub fn load(dir: &Path) -> std::io::Result<Pins> {
    match std::fs::read_to_string(path(dir)) {
        Ok(text) => Ok(Pins::parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pins::default()),
        Err(e) => Err(e),
    }
}

/// Writes `pins` to `dir` (via a temporary file, so a crash never leaves it half written),
/// readable by the owner only.
pub fn save(dir: &Path, pins: &Pins) -> std::io::Result<()> {
    private::dir(dir)?;
    let target = path(dir);
    let tmp = target.with_extension("tmp");
    private::write(&tmp, pins.to_text().as_bytes())?;
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
    }
}
