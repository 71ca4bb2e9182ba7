//! The search results pane: one entry per message found, newest first, with its time, its
//! conversation and the text with the searched-for words highlighted; clicking an entry
//! jumps to the message in its conversation.
use lanchat_net::protocol::ChatMessage;

use crate::markup;
use crate::model::Model;
use crate::transcript::{local, Look, Page, Target};

/// The words searched for, lower-cased (quotes and operators dropped).
fn terms(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !matches!(w.as_str(), "and" | "or" | "not"))
        .collect()
}

/// Byte ranges of `text` matching any term (case-insensitive; ASCII-safe positions only).
fn hits(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return Vec::new();
    }
    let mut found: Vec<(usize, usize)> = terms
        .iter()
        .flat_map(|t| {
            lower
                .match_indices(t.as_str())
                .map(|(i, m)| (i, i + m.len()))
        })
        .collect();
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in found {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// The results of `query` as a page.
pub fn page(query: &str, found: &[ChatMessage], model: &Model) -> Page {
    let mut page = Page::default();
    let count = match found.len() {
        0 => format!("Nothing found for \"{query}\".\n"),
        1 => format!("1 message found for \"{query}\":\n"),
        n => format!("{n} messages found for \"{query}\" (newest first):\n"),
    };
    page.push(&count, Look::Time);
    let terms = terms(query);
    for m in found {
        let start = page.text.len();
        page.push("\n", Look::Plain);
        page.push(&local(m.ts_ms, "%e %b %H:%M  "), Look::Time);
        page.push(&m.conv.to_string(), Look::Sender);
        page.push("  ", Look::Plain);
        page.push(
            &model.display_name(&m.sender, Some(&m.sender_display)),
            Look::Own,
        );
        page.push(": ", Look::Plain);
        // The words as shown in the conversation (markers such as `**` dropped), one line.
        let plain: String = markup::parse(&m.text).into_iter().map(|s| s.text).collect();
        let text: String = plain
            .chars()
            .take(300)
            .collect::<String>()
            .replace('\n', " ");
        let mut at = 0;
        for (s, e) in hits(&text, &terms) {
            page.push(&text[at..s], Look::Plain);
            page.push(&text[s..e], Look::Hit);
            at = e;
        }
        page.push(&text[at..], Look::Plain);
        page.push("\n", Look::Plain);
        let end = page.text.len();
        page.targets.push((
            start,
            end,
            Target::Jump {
                conv: m.conv.clone(),
                seq: m.seq,
            },
        ));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{logged_in, text, user};
    use lanchat_net::protocol::{ConvRef, PresenceStatus};

    #[test]
    fn results_highlight_the_terms_and_jump_to_the_message() {
        let model = logged_in(user("alice", "alice", PresenceStatus::Online));
        let dev = ConvRef::Room("dev".into());
        let found = vec![text(
            dev.clone(),
            7,
            "bob",
            "the Release plan, release soon",
        )];
        let p = page("release", &found, &model);
        assert_eq!(p.looks.len(), p.text.len());
        let hit = p.text.find("Release").unwrap();
        assert!(p.looks[hit..hit + 7].iter().all(|l| *l == Look::Hit));
        assert_eq!(p.looks[p.text.find("plan").unwrap()], Look::Plain);
        assert!(!p.text.contains("**"), "markers dropped: {}", p.text);
        let second = p.text.rfind("release").unwrap();
        assert_eq!(p.looks[second], Look::Hit);
        let [(_, _, Target::Jump { conv, seq })] = p.targets.as_slice() else {
            panic!("{:?}", p.targets);
        };
        assert_eq!((conv, *seq), (&dev, 7));
        assert!(page("x", &[], &model).text.contains("Nothing found"));
    }
}
