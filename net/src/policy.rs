//! The password policy, applied where the password is: on the client before registering or
//! changing it (with OPAQUE the coordinator never sees a password), and by the coordinator to
//! the one password it still sees, a legacy account's at its migration.
use crate::protocol::{ErrorCode, ErrorInfo};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (a cap bounds the key-stretching work per login).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Passwords that are long enough are still refused when everyone would guess them.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789012",
    "0123456789",
    "qwertyuiop",
    "password123",
    "password1234",
    "passwordpassword",
    "iloveyou123",
    "letmein1234",
    "welcome123",
    "changeme123",
    "administrator",
    "qwerty123456",
    "1q2w3e4r5t",
    "abcdefghij",
];

/// The password policy: 10 to 256 characters, not built from the username, not a single
/// repeated character, not a well-known password.
pub fn check_password(username: &str, password: &str) -> Result<(), ErrorInfo> {
    let weak = |why: &str| ErrorInfo::new(ErrorCode::WeakPassword, format!("password {why}"));
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(weak(&format!(
            "is too short: use at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(weak(&format!(
            "is too long: at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(weak("must not contain the username"));
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(weak("must not be one character repeated"));
        }
    }
    if COMMON.contains(&lower.as_str()) {
        return Err(weak("is one of the most common passwords"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_gives_reasons() {
        assert!(check_password("alice", "correct horse battery").is_ok());
        let reason = |p: &str| check_password("alice", p).unwrap_err().message;
        assert!(reason("short").contains("too short"));
        assert!(reason("alice-is-great").contains("username"));
        assert!(reason("aaaaaaaaaaaa").contains("repeated"));
        assert!(reason("Password123").contains("common"));
        assert!(reason(&"xy".repeat(200)).contains("too long"));
    }
}
