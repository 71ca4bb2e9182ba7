//! Received file names: whatever a peer offers, the sanitized name is one harmless component.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lanchat_net::transfer::names::sanitize;

fuzz_target!(|data: &[u8]| {
    let name = String::from_utf8_lossy(data);
    let clean = sanitize(&name);
    assert!(!clean.is_empty());
    assert!(clean.len() <= 200);
    assert!(!clean.contains(['/', '\\', '\0', ':']));
    assert!(!clean.chars().any(char::is_control));
    assert!(!clean.chars().any(lanchat_net::text::is_bidi_control));
    assert!(clean != "." && clean != "..");
    assert!(!clean.ends_with(['.', ' ']));
});
