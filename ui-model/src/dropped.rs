//! Files dropped onto the window: the text a drag-and-drop delivers (a `text/uri-list` of
//! `file://` URIs on Linux, plain paths on Windows and macOS), as paths.
use std::path::PathBuf;

/// Paths dropped at most at once (each becomes an offer or a share).
pub const MAX_DROPPED: usize = 20;

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The paths in a drop's text: one per line, `file://` URIs decoded, comments and other
/// URI schemes skipped, at most [`MAX_DROPPED`].
pub fn paths(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| match l.strip_prefix("file://") {
            // file:///home/a (empty host) or file://localhost/home/a
            Some(rest) => {
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                path.starts_with('/')
                    .then(|| percent_decode(path))
                    .flatten()
            }
            None if l.contains("://") => None,
            None => Some(l.to_string()),
        })
        .map(PathBuf::from)
        .take(MAX_DROPPED)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_lists_and_plain_paths() {
        let text = "file:///home/a/My%20Plan.pdf\r\n# comment\r\nhttps://x.org/y\r\n\
                    file://localhost/tmp/b.txt\n/tmp/c d.txt\n";
        assert_eq!(
            paths(text),
            [
                PathBuf::from("/home/a/My Plan.pdf"),
                PathBuf::from("/tmp/b.txt"),
                PathBuf::from("/tmp/c d.txt"),
            ]
        );
        assert_eq!(paths("file:///bad%zz"), Vec::<PathBuf>::new());
        let many = "/tmp/x\n".repeat(100);
        assert_eq!(paths(&many).len(), MAX_DROPPED);
    }
}
