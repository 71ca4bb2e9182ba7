//! The drivers' clock. The hub, the connection gate and the store take the time from their
//! caller (milliseconds since the Unix epoch), so tests run them at any time they like; only
//! the code that runs them for real (connections, the commit thread, file streams) reads it.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
