//! Message formatting: `**bold**`, `*italics*`, `` `inline code` `` and http(s) links.
//!
//! Pure text → spans; the conversation view maps each span to a text style. Markers that are
//! not closed stay literal text, so a lone `*` or a `2*3` never swallows the rest of a line.
//! Code spans are taken verbatim (no formatting or links inside them).

/// How a span of text is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    /// Ordinary text.
    Plain,
    /// `**bold**`.
    Bold,
    /// `*italics*`.
    Italic,
    /// `` `code` ``.
    Code,
    /// A link; the span's text is the URL.
    Link,
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text shown (markers removed).
    pub text: String,
    /// Its style.
    pub style: Style,
}

impl Span {
    fn new(text: &str, style: Style) -> Self {
        Span {
            text: text.to_string(),
            style,
        }
    }
}

/// Splits a message's text into styled spans.
pub fn parse(text: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let found = if rest.starts_with('`') {
            delimited(rest, "`", Style::Code)
        } else if rest.starts_with("**") {
            delimited(rest, "**", Style::Bold)
        } else if rest.starts_with('*') {
            delimited(rest, "*", Style::Italic)
        } else if (rest.starts_with("http://") || rest.starts_with("https://"))
            && at_word_start(text, i)
        {
            link(rest)
        } else {
            None
        };
        match found {
            Some((span, used)) => {
                push_plain(&mut spans, &text[plain_start..i]);
                spans.push(span);
                i += used;
                plain_start = i;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    push_plain(&mut spans, &text[plain_start..]);
    spans
}

fn push_plain(spans: &mut Vec<Span>, text: &str) {
    if !text.is_empty() {
        spans.push(Span::new(text, Style::Plain));
    }
}

/// `marker inner marker` at the start of `rest`, with non-empty inner text that does not start
/// or end with a space (so `2 * 3 * 4` stays plain). Returns the span and the bytes used.
fn delimited(rest: &str, marker: &str, style: Style) -> Option<(Span, usize)> {
    let body = &rest[marker.len()..];
    let end = body.find(marker)?;
    let inner = &body[..end];
    let trimmed = inner.trim();
    if trimmed.is_empty() || (style != Style::Code && trimmed.len() != inner.len()) {
        return None;
    }
    // `**` inside italics would be ambiguous; leave it literal.
    if style == Style::Italic && inner.contains('*') {
        return None;
    }
    Some((Span::new(inner, style), marker.len() * 2 + end))
}

/// A URL runs to the next whitespace; trailing punctuation belongs to the sentence.
fn link(rest: &str) -> Option<(Span, usize)> {
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
    let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
    if url.len() <= scheme_len {
        return None;
    }
    Some((Span::new(url, Style::Link), url.len()))
}

fn at_word_start(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "([<\"'".contains(c))
}

/// The URLs in a text, in order (for "open link" menus and tests).
pub fn links(text: &str) -> Vec<String> {
    parse(text)
        .into_iter()
        .filter(|s| s.style == Style::Link)
        .map(|s| s.text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, style: Style) -> Span {
        Span::new(text, style)
    }

    #[test]
    fn plain_text_is_one_span() {
        assert_eq!(parse("hello there"), vec![s("hello there", Style::Plain)]);
        assert!(parse("").is_empty());
    }

    #[test]
    fn bold_italic_code() {
        assert_eq!(
            parse("a **b** *c* `d`"),
            vec![
                s("a ", Style::Plain),
                s("b", Style::Bold),
                s(" ", Style::Plain),
                s("c", Style::Italic),
                s(" ", Style::Plain),
                s("d", Style::Code),
            ]
        );
    }

    #[test]
    fn code_is_verbatim() {
        assert_eq!(
            parse("`a *b* http://x.y`"),
            vec![s("a *b* http://x.y", Style::Code)]
        );
    }

    #[test]
    fn unclosed_or_spaced_markers_stay_literal() {
        assert_eq!(parse("2 * 3 * 4"), vec![s("2 * 3 * 4", Style::Plain)]);
        assert_eq!(parse("**open"), vec![s("**open", Style::Plain)]);
        assert_eq!(parse("a ` b"), vec![s("a ` b", Style::Plain)]);
        assert_eq!(parse("**"), vec![s("**", Style::Plain)]);
    }

    #[test]
    fn links_stop_at_space_and_trailing_punctuation() {
        assert_eq!(
            parse("see https://example.com/a?b=1. ok"),
            vec![
                s("see ", Style::Plain),
                s("https://example.com/a?b=1", Style::Link),
                s(". ok", Style::Plain),
            ]
        );
        assert_eq!(
            links("(http://intranet/wiki) and https://x.org"),
            vec!["http://intranet/wiki", "https://x.org"]
        );
    }

    #[test]
    fn not_a_link() {
        assert_eq!(parse("http://"), vec![s("http://", Style::Plain)]);
        assert_eq!(parse("xhttp://a.b"), vec![s("xhttp://a.b", Style::Plain)]);
        assert!(links("ftp://a.b").is_empty());
    }

    #[test]
    fn unicode_survives() {
        assert_eq!(
            parse("héllo **wörld** ✓"),
            vec![
                s("héllo ", Style::Plain),
                s("wörld", Style::Bold),
                s(" ✓", Style::Plain),
            ]
        );
    }
}
