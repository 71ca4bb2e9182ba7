//! The message-formatting parser: any text someone can post. No panic; the spans never invent
//! text (together they are a subsequence of the input); links are http(s) URLs.
#![no_main]
use libfuzzer_sys::fuzz_target;

// The GUI crate's parser itself, compiled here without the GUI crate's FLTK dependency.
#[path = "../../ui/src/markup.rs"]
#[allow(dead_code)]
mod markup;

fn is_subsequence(needle: &str, haystack: &str) -> bool {
    let mut rest = haystack.chars();
    needle.chars().all(|c| rest.any(|h| h == c))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let spans = markup::parse(&text);
    let shown: String = spans.iter().map(|s| s.text.as_str()).collect();
    assert!(is_subsequence(&shown, &text), "{text:?} -> {shown:?}");
    for link in markup::links(&text) {
        assert!(link.starts_with("http://") || link.starts_with("https://"), "{link:?}");
    }
});
