//! The known-coordinators file: fingerprints pinned on first use, like SSH's known_hosts.
//!
//! One line per coordinator: `name fingerprint-hex`. A coordinator is identified by the name it
//! announces; a changed fingerprint under a known name is refused unless the person accepts it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fingerprint::Fingerprint;

/// What the file says about a coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// Never seen: trust on first use.
    New,
    /// Seen before with this same fingerprint.
    Same,
    /// Seen before with another fingerprint.
    Changed {
        /// The fingerprint pinned earlier.
        pinned: String,
    },
}

/// The file, loaded.
#[derive(Debug)]
pub struct KnownCoordinators {
    path: PathBuf,
    entries: BTreeMap<String, String>,
}

impl KnownCoordinators {
    /// File name inside the client's data directory.
    pub const FILE: &'static str = "known_coordinators";

    /// Loads the file in `dir` (missing file: nothing known).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(Self::FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let entries = text
            .lines()
            .filter_map(|line| {
                let (name, fp) = line.trim().rsplit_once(' ')?;
                Some((name.to_string(), fp.to_string()))
            })
            .collect();
        Ok(KnownCoordinators { path, entries })
    }

    /// Compares `fp` with what is pinned for `name`.
    pub fn check(&self, name: &str, fp: &Fingerprint) -> Pinned {
        match self.entries.get(name) {
            None => Pinned::New,
            Some(hex) if *hex == fp.full_hex() => Pinned::Same,
            Some(hex) => Pinned::Changed {
                pinned: hex
                    .parse::<crate::fingerprint::Pin>()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|_| hex.clone()),
            },
        }
    }

    /// Pins `fp` for `name` and writes the file (via a temporary file, so a crash never leaves
    /// it half written).
    pub fn pin(&mut self, name: &str, fp: &Fingerprint) -> std::io::Result<()> {
        self.entries.insert(name.to_string(), fp.full_hex());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text: String = self
            .entries
            .iter()
            .map(|(name, fp)| format!("{name} {fp}\n"))
            .collect();
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_on_first_use_then_detect_change_across_reload() {
        let dir = tempfile::tempdir().unwrap();
        let a = Fingerprint::of_cert(b"a");
        let b = Fingerprint::of_cert(b"b");
        let mut known = KnownCoordinators::load(dir.path()).unwrap();
        assert_eq!(known.check("office hub", &a), Pinned::New);
        known.pin("office hub", &a).unwrap();
        let known = KnownCoordinators::load(dir.path()).unwrap();
        assert_eq!(known.check("office hub", &a), Pinned::Same);
        assert_eq!(
            known.check("office hub", &b),
            Pinned::Changed { pinned: a.short() }
        );
    }
}
