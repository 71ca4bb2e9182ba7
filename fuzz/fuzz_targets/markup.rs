//! The message-formatting parser: any text someone can post. No panic; the spans never invent
//! text (together they are a subsequence of the input); links are http(s) URLs.
#![no_main]
use lanchat_ui_model::markup;
use libfuzzer_sys::fuzz_target;

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
