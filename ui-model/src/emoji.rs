//! Emoji: `:shortcodes:` typed in a message become the emoji (when the message is sent, so
//! every client sees the same text), and the picker's choices.
//!
//! Which emoji render depends on the fonts: FLTK draws text with Xft on Linux, one font per
//! style and no per-character fallback, so only what DejaVu Sans (the font `scripts/setup.sh`
//! installs and FLTK's Helvetica maps to) has renders; colour emoji fonts do not help. The
//! table holds only emoji DejaVu Sans covers (checked with `fc-query` against its charset:
//! the emoticons U+1F600–U+1F64F partly, miscellaneous symbols and dingbats); a 👍 or 🎉
//! typed or received shows as a box.

/// Shortcode (without colons) and emoji; the picker shows them in this order.
pub const EMOJI: &[(&str, &str)] = &[
    ("smile", "😄"),
    ("grin", "😀"),
    ("grinning", "😁"),
    ("joy", "😂"),
    ("sweat_smile", "😅"),
    ("laughing", "😆"),
    ("wink", "😉"),
    ("blush", "😊"),
    ("heart_eyes", "😍"),
    ("sunglasses", "😎"),
    ("open_mouth", "😮"),
    ("cry", "😢"),
    ("sob", "😭"),
    ("rage", "😡"),
    ("sleeping", "😴"),
    ("relaxed", "☺"),
    ("frowning", "☹"),
    ("heart", "❤"),
    ("v", "✌"),
    ("point_up", "☝"),
    ("point_right", "☞"),
    ("star", "★"),
    ("check", "✔"),
    ("x", "✘"),
    ("warning", "⚠"),
    ("zap", "⚡"),
    ("coffee", "☕"),
    ("sunny", "☀"),
    ("cloud", "☁"),
    ("umbrella", "☂"),
    ("snowman", "☃"),
    ("phone", "☎"),
    ("email", "✉"),
    ("pencil", "✎"),
    ("scissors", "✂"),
    ("notes", "♫"),
    ("flag", "⚑"),
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
        assert_eq!(shortcodes("ok :smile: :coffee:"), "ok 😄 ☕");
        assert_eq!(shortcodes("time 10:30:00"), "time 10:30:00");
        assert_eq!(shortcodes(":nope: and :star:"), ":nope: and ★");
        assert_eq!(shortcodes("`a :zap: b` :zap:"), "`a :zap: b` ⚡");
        assert_eq!(shortcodes("::"), "::");
        assert_eq!(shortcodes("ends with :"), "ends with :");
    }
}
