//! Numbers and names as people read them, shared by the GUI and the terminal client so both
//! say the same thing about the same file and the same person.

/// A byte count in binary units with one decimal: `12 B`, `1.5 KiB`, `3.0 MiB`.
///
/// ```
/// assert_eq!(lanchat_ui_model::format::size(1536), "1.5 KiB");
/// ```
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A person as every front end names them, in lists, live messages and history alike:
/// `Alice Martin (@alice)`, or just `alice` when the display name is the username. The
/// username is the part nobody else can have (the coordinator refuses look-alikes, and
/// display names that look like someone else's username), so it is shown whenever the display
/// name differs from it, even only in case.
///
/// ```
/// use lanchat_ui_model::format::person;
/// assert_eq!(person("alice", "Alice Martin"), "Alice Martin (@alice)");
/// assert_eq!(person("bob", "bob"), "bob");
/// ```
pub fn person(username: &str, display: &str) -> String {
    if display == username || display.is_empty() {
        username.to_string()
    } else {
        format!("{display} (@{username})")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::size(12), "12 B");
        assert_eq!(super::size(1536), "1.5 KiB");
        assert_eq!(super::size(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn people_are_named_with_their_username() {
        assert_eq!(super::person("alice", "Alice"), "Alice (@alice)");
        assert_eq!(super::person("alice", "alice"), "alice");
        assert_eq!(super::person("alice", ""), "alice");
    }
}

/// What an offer holds, in one line: `report.pdf (1.2 MiB)` for one file;
/// `120 files, 1.2 GiB: photos` (top-level names, at most three) for more.
pub fn offer_summary(offer: &lanchat_net::protocol::FileOffer) -> String {
    if offer.files.len() == 1 {
        return format!("{} ({})", offer.label(), size(offer.size));
    }
    let top = offer.top_level();
    let mut names = top.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if top.len() > 3 {
        names.push_str(&format!(" and {} more", top.len() - 3));
    }
    format!("{} files, {}: {names}", offer.files.len(), size(offer.size))
}

#[cfg(test)]
mod offer_tests {
    use lanchat_net::protocol::{FileOffer, OfferEntry};

    #[test]
    fn an_offer_says_how_many_files_how_big_and_the_top_level_names() {
        let entry = |p: &[&str], size| OfferEntry {
            path: p.iter().map(|s| s.to_string()).collect(),
            size,
        };
        let mut offer = FileOffer {
            id: 1,
            from: "bob".into(),
            to: "alice".into(),
            files: vec![entry(&["a.txt"], 1536)],
            size: 1536,
        };
        assert_eq!(super::offer_summary(&offer), "a.txt (1.5 KiB)");
        offer.files = vec![
            entry(&["photos", "1.jpg"], 1024),
            entry(&["photos", "2.jpg"], 1024),
            entry(&["notes.txt"], 1024),
        ];
        offer.size = 3072;
        assert_eq!(
            super::offer_summary(&offer),
            "3 files, 3.0 KiB: photos, notes.txt"
        );
        assert_eq!(offer.label(), "photos, notes.txt (3 files)");
    }
}
