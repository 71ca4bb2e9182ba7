//! The one place the terminal client writes to stdout, and the escaping everything written
//! there goes through.
//!
//! Message text, names, topics and file names come from other people. Printed raw, a carriage
//! return or `ESC [2K` lets a message erase its own line and print a fake one in its place,
//! `ESC ] 52` (OSC 52) writes the reader's clipboard, other escape sequences retitle or
//! reconfigure the terminal, and a right-to-left override reorders what follows it. So every
//! control character — C0 (including CR, LF and TAB: a line written here is one line), DEL,
//! C1 (U+0080–U+009F, which some terminals obey as 8-bit escapes) — every bidirectional
//! control and the Unicode line and paragraph separators are shown as a visible escape
//! (`\r`, `\n`, `\t`, `\u{1b}`, `\u{202e}`) instead. The JSON form is escaped by serde for
//! C0, `"` and `\`; the rest of the list is escaped here as `\uXXXX`, which JSON readers
//! decode to the same text.
use std::borrow::Cow;
use std::io::Write;

use lanchat_net::text::is_bidi_control;

/// Whether `c` must not reach a terminal as itself.
fn unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every control, bidirectional and line-separating character shown as a visible
/// escape; borrowed when there is none (the common case).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One JSON line: serde's encoding, with the characters serde leaves raw (DEL, C1, the
/// bidirectional controls, U+2028/U+2029) as `\uXXXX`. They can only occur inside strings,
/// where the escape means the same character.
pub fn json_line(value: &serde_json::Value) -> String {
    let line = value.to_string();
    if !line.chars().any(unsafe_char) {
        return line;
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// stdout as the terminal client uses it: whole lines, a progress bar redrawn in place, or
/// JSON lines, all escaped.
#[derive(Debug)]
pub struct Terminal<W: Write> {
    out: W,
    /// A progress bar is on the current line (the next line must start a fresh one).
    bar_shown: bool,
}

impl<W: Write> Terminal<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Terminal<W> {
        Terminal {
            out,
            bar_shown: false,
        }
    }

    /// One line of text.
    pub fn line(&mut self, text: &str) -> std::io::Result<()> {
        if self.bar_shown {
            // End the progress bar's line before printing over it.
            writeln!(self.out)?;
            self.bar_shown = false;
        }
        writeln!(self.out, "{}", escape(text))?;
        self.out.flush()
    }

    /// The progress bar, drawn over the current line.
    pub fn bar(&mut self, text: &str) -> std::io::Result<()> {
        write!(self.out, "\r{}\x1b[K", escape(text))?;
        self.bar_shown = true;
        self.out.flush()
    }

    /// One JSON object as one line.
    pub fn json(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        writeln!(self.out, "{}", json_line(value))?;
        self.out.flush()
    }

    /// What was written (for tests).
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No byte that starts an escape sequence or moves the cursor survives, other than the
    /// line ends that separate what was written.
    fn inert(bytes: &[u8]) -> bool {
        let text = String::from_utf8_lossy(bytes);
        !text
            .split('\n')
            .flat_map(str::chars)
            .any(|c| c.is_control() || is_bidi_control(c))
    }

    #[test]
    fn what_can_fake_or_erase_a_line_is_shown_not_obeyed() {
        let cases = [
            ("ok\rFAKE", "ok\\rFAKE"),
            (
                "\x1b[2K\r[12:00] #general <ceo> pay it",
                "\\u{1b}[2K\\r[12:00] #general <ceo> pay it",
            ),
            ("\x1b]52;c;ZXZpbA==\x07", "\\u{1b}]52;c;ZXZpbA==\\u{7}"),
            ("two\nlines", "two\\nlines"),
            ("tab\there", "tab\\there"),
            ("del\x7f", "del\\u{7f}"),
            ("c1 csi \u{9b}2K nel \u{85}", "c1 csi \\u{9b}2K nel \\u{85}"),
            ("invoice\u{202E}fdp.exe", "invoice\\u{202e}fdp.exe"),
            ("iso\u{2067}late\u{2069}", "iso\\u{2067}late\\u{2069}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("Zoë ❤️ 中文 עברית", "Zoë ❤️ 中文 עברית"),
        ];
        for (raw, shown) in cases {
            assert_eq!(escape(raw), shown, "{raw:?}");
        }
        assert!(matches!(escape("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn lines_and_the_progress_bar_are_written_escaped() {
        let mut t = Terminal::new(Vec::new());
        t.bar("offer 7 \x1b]0;owned\x07.txt [###---]").unwrap();
        t.line("[12:00] #general <bob> \x1b[2K\rgone").unwrap();
        let out = t.into_inner();
        let text = String::from_utf8(out.clone()).unwrap();
        // The bar's own framing (CR, erase to end of line) is the only control written.
        let body = text
            .strip_prefix('\r')
            .unwrap()
            .replacen("\x1b[K\n", "\n", 1);
        assert!(inert(body.as_bytes()), "{text:?}");
        assert!(body.contains("\\u{1b}]0;owned\\u{7}.txt"));
        assert!(body.ends_with("<bob> \\u{1b}[2K\\rgone\n"));
    }

    #[test]
    fn json_lines_escape_what_serde_leaves_raw_and_read_back_the_same() {
        let text = "a\rb\x1b[2K\x7f\u{9b}\u{202E}\u{2028}end";
        let value = serde_json::json!({"type": "message", "text": text});
        let line = json_line(&value);
        assert!(inert(line.as_bytes()), "{line:?}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
        // Unchanged when there is nothing to escape.
        let plain = serde_json::json!({"text": "Zoë ❤️"});
        assert_eq!(json_line(&plain), plain.to_string());
    }
}
