//! Invites: a coordinator's fingerprint (and, if it has a fixed one, its address) in one
//! string an administrator hands out, so a client trusts it from its very first contact
//! without comparing fingerprints by eye: `lanchat://FINGERPRINT` or
//! `lanchat://FINGERPRINT@ADDRESS:PORT`, the fingerprint as 64 hex digits.
use std::fmt;
use std::net::SocketAddr;

use crate::fingerprint::Fingerprint;

/// The scheme invites start with.
pub const SCHEME: &str = "lanchat://";

/// A parsed invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invite {
    /// The coordinator's certificate fingerprint.
    pub fingerprint: Fingerprint,
    /// Where it listens, when that is fixed (a hint: discovery still finds it if it moves).
    pub addr: Option<SocketAddr>,
}

/// A string that is not an invite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a lanchat invite: {0:?} (expected lanchat://FINGERPRINT or \
     lanchat://FINGERPRINT@ADDRESS:PORT, with the full 64-digit fingerprint)"
)]
pub struct BadInvite(pub String);

impl std::str::FromStr for Invite {
    type Err = BadInvite;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadInvite(s.to_string());
        let rest = s.trim().strip_prefix(SCHEME).ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        let (fp, addr) = match rest.split_once('@') {
            Some((fp, addr)) => (fp, Some(addr.parse().map_err(|_| bad())?)),
            None => (rest, None),
        };
        let bytes = hex::decode(fp).map_err(|_| bad())?;
        let fingerprint = Fingerprint(bytes.try_into().map_err(|_| bad())?);
        Ok(Invite { fingerprint, addr })
    }
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.fingerprint.full_hex())?;
        if let Some(addr) = self.addr {
            write!(f, "@{addr}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invites_round_trip_and_bad_ones_say_what_is_expected() {
        let fp = Fingerprint::of_cert(b"cert");
        for invite in [
            Invite {
                fingerprint: fp,
                addr: None,
            },
            Invite {
                fingerprint: fp,
                addr: Some("192.168.1.10:7117".parse().unwrap()),
            },
        ] {
            assert_eq!(invite.to_string().parse::<Invite>(), Ok(invite));
        }
        for bad in [
            "",
            "lanchat://",
            "http://abc",
            &format!("lanchat://{}", &fp.full_hex()[..32]),
            &format!("lanchat://{}@nowhere", fp.full_hex()),
        ] {
            let e = bad.parse::<Invite>().unwrap_err().to_string();
            assert!(e.contains("64-digit"), "{e}");
        }
    }
}
