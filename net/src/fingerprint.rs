//! Certificate fingerprints: BLAKE3 of the DER certificate, and how people read and type them.
use std::fmt;

/// BLAKE3 hash of a certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Fingerprint of a DER-encoded certificate.
    pub fn of_cert(der: &[u8]) -> Self {
        Fingerprint(*blake3::hash(der).as_bytes())
    }

    /// All 64 hex digits (what files store).
    pub fn full_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The short human-checkable form: the first 128 bits as eight groups of four hex digits,
    /// e.g. `3f2a-91c0-…`. 128 bits is far beyond what anyone can forge by brute force.
    pub fn short(&self) -> String {
        group(&hex::encode(&self.0[..16]))
    }
}

fn group(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

/// What a person or a file says the fingerprint must be: the full 32 bytes or the short 16-byte
/// form. A certificate matches when its fingerprint starts with these bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin(Vec<u8>);

/// A fingerprint string that is not 32 or 64 hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a fingerprint: {0:?} (expected 32 or 64 hex digits, dashes and colons allowed)")]
pub struct BadFingerprint(pub String);

impl Pin {
    /// Matches exactly this fingerprint.
    pub fn exact(fp: Fingerprint) -> Self {
        Pin(fp.0.to_vec())
    }

    /// The pinned bytes (16 or 32).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `fp` is the pinned certificate.
    pub fn matches(&self, fp: &Fingerprint) -> bool {
        fp.0.starts_with(&self.0)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&group(&hex::encode(self.0.get(..16).unwrap_or(&self.0))))
    }
}

impl std::str::FromStr for Pin {
    type Err = BadFingerprint;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | ':' | ' '))
            .collect();
        match hex::decode(&digits) {
            Ok(bytes) if bytes.len() == 16 || bytes.len() == 32 => Ok(Pin(bytes)),
            _ => Err(BadFingerprint(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_is_grouped_and_parses_back() {
        let fp = Fingerprint::of_cert(b"cert");
        let short = fp.short();
        assert_eq!(short.len(), 8 * 4 + 7);
        assert_eq!(short.split('-').count(), 8);
        let pin: Pin = short.parse().unwrap();
        assert!(pin.matches(&fp));
        let full: Pin = fp.full_hex().parse().unwrap();
        assert!(full.matches(&fp));
        assert!(!full.matches(&Fingerprint::of_cert(b"other")));
        assert!(!pin.matches(&Fingerprint::of_cert(b"other")));
    }

    #[test]
    fn bad_fingerprints_are_refused() {
        for bad in ["", "abc", "zz", &"a".repeat(40), &"a".repeat(66)] {
            assert!(bad.parse::<Pin>().is_err(), "{bad}");
        }
    }
}
