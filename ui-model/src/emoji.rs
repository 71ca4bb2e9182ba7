//! Emoji: `:shortcodes:` typed in a message become the emoji (when the message is sent, so
//! every client sees the same text), and the picker's choices.
//!
//! Which emoji render depends on the fonts: FLTK draws text with Xft on Linux, which shows
//! the monochrome emoji of a font like DejaVu Sans or Noto Emoji, not colour bitmaps.

/// Shortcode (without colons) and emoji; the picker shows them in this order.
pub const EMOJI: &[(&str, &str)] = &[
    ("smile", "☺"),
    ("slight_smile", "🙂"),
    ("grin", "😀"),
    ("joy", "😂"),
    ("wink", "😉"),
    ("thinking", "🤔"),
    ("heart", "♥"),
    ("thumbsup", "👍"),
    ("+1", "👍"),
    ("thumbsdown", "👎"),
    ("clap", "👏"),
    ("wave", "👋"),
    ("pray", "🙏"),
    ("tada", "🎉"),
    ("fire", "🔥"),
    ("star", "★"),
    ("check", "✔"),
    ("white_check_mark", "✅"),
    ("x", "✘"),
    ("warning", "⚠"),
    ("coffee", "☕"),
    ("sun", "☀"),
    ("cloud", "☁"),
    ("umbrella", "☂"),
    ("snowman", "☃"),
    ("phone", "☎"),
    ("email", "✉"),
    ("pencil", "✎"),
    ("scissors", "✂"),
    ("point_right", "☞"),
    ("eyes", "👀"),
    ("rocket", "🚀"),
];

/// The emoji for a shortcode, if known.
pub fn lookup(code: &str) -> Option<&'static str> {
    EMOJI.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

/// Replaces every known `:shortcode:` in `text` (others stay as typed; code spans too).
pub fn shortcodes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut rest = text;
    while let Some(i) = rest.find([':', '`']) {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        if let Some(after) = at.strip_prefix('`') {
            in_code = !in_code;
            out.push('`');
            rest = after;
            continue;
        }
        let code_end = at[1..].find(':').map(|j| j + 1);
        match code_end {
            Some(end)
                if !in_code
                    && end > 1
                    && at[1..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+') =>
            {
                match lookup(&at[1..end]) {
                    Some(e) => {
                        out.push_str(e);
                        rest = &at[end + 1..];
                    }
                    None => {
                        out.push(':');
                        rest = &at[1..];
                    }
                }
            }
            _ => {
                out.push(':');
                rest = &at[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_become_emoji_except_in_code_and_unknown_ones() {
        assert_eq!(shortcodes("ok :thumbsup: :+1:"), "ok 👍 👍");
        assert_eq!(shortcodes("time 10:30:00"), "time 10:30:00");
        assert_eq!(shortcodes(":nope: and :tada:"), ":nope: and 🎉");
        assert_eq!(shortcodes("`a :fire: b` :fire:"), "`a :fire: b` 🔥");
        assert_eq!(shortcodes("::"), "::");
        assert_eq!(shortcodes("ends with :"), "ends with :");
    }
}
