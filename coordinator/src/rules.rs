//! What names and passwords the coordinator accepts, with the reason when it does not.
//!
//! Pure functions so every rule is unit-tested and the reason text is the one users see.
use lanchat_net::protocol::{ErrorCode, ErrorInfo};
use lanchat_net::text::{first_invisible, is_bidi_control};
use lanchat_store::lookalike_keys;

// The password policy is the client's to apply (with OPAQUE the coordinator never sees a
// password); it lives in the net crate so both sides name the same rule.
pub use lanchat_net::policy::{check_password, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
/// Longest display name.
pub const MAX_DISPLAY_CHARS: usize = 48;
/// Longest room topic.
pub const MAX_TOPIC_CHARS: usize = 300;

fn invalid(message: String) -> ErrorInfo {
    ErrorInfo::new(ErrorCode::InvalidName, message)
}

/// Usernames: 2–32 characters, letters, digits, `_`, `-`, `.`, starting with a letter.
/// ASCII only: they are typed in commands (`/msg @bob`), and nothing invisible or
/// direction-changing can be in one. ASCII still has look-alikes (`I`, `l`, `1`; `0`, `O`;
/// `rn`, `m`): the store refuses a name that looks like an existing one.
pub fn check_username(name: &str) -> Result<(), ErrorInfo> {
    let len = name.chars().count();
    if !(2..=32).contains(&len) {
        return Err(invalid(format!(
            "username {name:?} must be 2 to 32 characters long"
        )));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(invalid(format!(
            "username {name:?} must start with a letter"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(invalid(format!(
            "username {name:?} may contain only letters, digits, '_', '-' and '.', not {bad:?}"
        )));
    }
    Ok(())
}

/// Room names (without `#`): 1–32 of lower-case letters, digits, `_` and `-`.
pub fn normalize_room(name: &str) -> Result<String, ErrorInfo> {
    let name = name.trim().trim_start_matches('#').to_ascii_lowercase();
    let len = name.chars().count();
    if !(1..=32).contains(&len)
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        return Err(invalid(format!(
            "room name #{name} is not allowed: use 1 to 32 letters, digits, '_' or '-'"
        )));
    }
    Ok(name)
}

/// Display names, as stored: runs of white space become one space, none at either end; 1–48
/// characters; nothing invisible or direction-changing (a right-to-left override would
/// reorder the name and what is shown after it; zero-width characters make two names that
/// look the same differ); no `@`, or anything that looks like one, because front ends show
/// `Display (@username)` and a name must not fake that. Whether it looks like another user's
/// username is checked against the store (`names.rs`).
pub fn normalize_display(display: &str) -> Result<String, ErrorInfo> {
    let display = display.split_whitespace().collect::<Vec<_>>().join(" ");
    let len = display.chars().count();
    if len == 0 || len > MAX_DISPLAY_CHARS {
        return Err(invalid(format!(
            "display name must be 1 to {MAX_DISPLAY_CHARS} characters and not blank"
        )));
    }
    if let Some(c) = first_invisible(&display) {
        return Err(invalid(format!(
            "display name may not contain invisible or direction-changing characters \
             (found {c})"
        )));
    }
    if lookalike_keys(&display).iter().any(|k| k.contains('@')) {
        return Err(invalid(
            "display name may not contain '@': names are shown as \"Display (@username)\"".into(),
        ));
    }
    Ok(display)
}

/// Topics: at most 300 characters on one line, and nothing that reorders the text after it
/// (topics are shown after names in the room's system lines).
pub fn check_topic(topic: &str) -> Result<(), ErrorInfo> {
    let bad =
        |c: char| c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}');
    if topic.chars().count() > MAX_TOPIC_CHARS || topic.chars().any(bad) {
        return Err(ErrorInfo::new(
            ErrorCode::BadRequest,
            format!(
                "a topic is at most {MAX_TOPIC_CHARS} characters on one line, without \
                 direction-changing characters"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["al", "alice", "Bob_2", "j.doe-x"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a",
            "1abc",
            "_x",
            "has space",
            "émile",
            "a/b",
            &"x".repeat(33),
        ] {
            let err = check_username(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidName, "{bad}");
        }
    }

    #[test]
    fn room_names_are_normalized() {
        assert_eq!(normalize_room("#Dev-Team").unwrap(), "dev-team");
        assert_eq!(normalize_room("ops").unwrap(), "ops");
        for bad in ["#", "", "a b", "x/y", &"r".repeat(33)] {
            assert!(normalize_room(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_and_topic() {
        assert_eq!(
            normalize_display("Alice Ångström").unwrap(),
            "Alice Ångström"
        );
        assert_eq!(
            normalize_display("  Alice \t  Martin ").unwrap(),
            "Alice Martin"
        );
        // Line breaks of any kind are white space: the name stays on one line.
        assert_eq!(normalize_display("a\nb\u{2028}c").unwrap(), "a b c");
        assert_eq!(normalize_display("Zoë ❤️").unwrap(), "Zoë ❤️");
        assert!(normalize_display("").is_err());
        assert!(normalize_display("   ").is_err());
        assert!(normalize_display(&"x".repeat(49)).is_err());
        assert!(check_topic("release on friday").is_ok());
        assert!(check_topic("two\nlines").is_err());
        assert!(check_topic("evil \u{202E}txt.exe").is_err());
    }

    /// What issue 12 found accepted: a right-to-left override in a display name, and names
    /// that fake the `Display (@username)` form or look empty.
    #[test]
    fn display_names_that_hide_or_reorder_are_refused_with_the_reason() {
        for (bad, why) in [
            ("Alice \u{202E}nimda", "U+202E"),
            ("\u{2067}Alice", "U+2067"),
            ("ali\u{200B}ce", "U+200B"),
            ("al\u{200D}ice", "U+200D"),
            ("\u{FEFF}alice", "U+FEFF"),
            ("a\u{00AD}lice", "U+00AD"),
            ("bell\u{7}", "U+0007"),
            ("\u{3164}", "U+3164"),
            ("\u{2800}", "U+2800"),
            ("\u{1b}[2Kalice", "U+001B"),
            ("Alice (@alice)", "'@'"),
            ("Alice (\u{FF20}alice)", "'@'"),
        ] {
            let err = normalize_display(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidName, "{bad:?}");
            assert!(err.message.contains(why), "{bad:?}: {}", err.message);
        }
    }
}
