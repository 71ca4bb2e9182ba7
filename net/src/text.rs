//! Characters that change how the text around them is shown, for the rules that keep names
//! honest (the coordinator) and the front ends that print what others wrote (the terminal).
//!
//! Two kinds matter. Bidirectional controls reorder what follows them: a right-to-left override
//! makes `invoice<RLO>fdp.exe` read as `invoiceexe.pdf`, and a name can push the text after it
//! around the same way. Invisible characters (zero-width spaces and joiners, other format
//! characters, fillers that look like nothing) make two names that look the same differ, or a
//! name look empty.
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `c` is one of Unicode's bidirectional controls (the `Bidi_Control` property of
/// PropList.txt, a closed set since Unicode 6.3): ALM, LRM, RLM, the embeddings and overrides
/// LRE…RLO with their PDF, and the isolates LRI…PDI.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` shows nothing by itself or is not text at all: control characters (C0, DEL,
/// C1), format characters (zero-width space, joiners, bidirectional controls, soft hyphen,
/// tags…), line and paragraph separators, private-use and unassigned code points, and the
/// letters that render blank (the Hangul fillers, the combining grapheme joiner). Variation
/// selectors stay allowed: they pick the colour form of an emoji (`❤️`) and are ignored by
/// the look-alike comparison anyway.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || matches!(
        c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
    )
}

/// The first character of `text` that [`is_invisible`], as `U+XXXX`, for a refusal that says
/// which one (it cannot be shown).
pub fn first_invisible(text: &str) -> Option<String> {
    text.chars()
        .find(|c| is_invisible(*c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_the_twelve_of_the_property() {
        let all: Vec<char> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| is_bidi_control(*c))
            .collect();
        assert_eq!(all.len(), 12);
        assert!(all.iter().all(|c| is_invisible(*c)));
    }

    #[test]
    fn invisible_characters() {
        for c in [
            '\0',
            '\r',
            '\x1b',
            '\x7f',
            '\u{85}',
            '\u{9b}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{202E}',
            '\u{2066}',
            '\u{2028}',
            '\u{2029}',
            '\u{3164}',
            '\u{115F}',
            '\u{E0041}',
            '\u{E000}',
            '\u{0378}',
            '\u{2800}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            'a', 'Å', 'ß', 'я', 'א', '中', ' ', '@', '😀', '\u{FE0F}', '\u{301}',
        ] {
            assert!(!is_invisible(c), "{c:?}");
        }
        assert_eq!(first_invisible("ali\u{200B}ce"), Some("U+200B".into()));
        assert_eq!(first_invisible("Alice Ångström"), None);
    }
}
