//! The single lines around the panes: the window title, the conversation heading, the
//! status bar, and the login window's warning about a changed fingerprint.
use lanchat_net::protocol::{ConvRef, PresenceStatus};

use crate::format;
use crate::model::{Model, Phase};

/// "(3) lanchat — Alice (@alice)": unread messages not muted, and who is logged in.
pub fn window_title(model: &Model) -> String {
    let who = model.me.as_ref().map_or(String::new(), |u| {
        format!(" — {}", format::person(&u.username, &u.display))
    });
    match model.total_unread() {
        0 => format!("lanchat{who}"),
        n => format!("({n}) lanchat{who}"),
    }
}

/// `#dev   (3 members)`, `@bob   (away)`, with `   [muted]` after either when muted.
pub fn conversation_heading(model: &Model) -> String {
    let mut heading = model.current.to_string();
    if let Some(room) = model.current_room() {
        if let Some(n) = model.member_count(room) {
            let plural = if n == 1 { "" } else { "s" };
            heading.push_str(&format!("   ({n} member{plural})"));
        }
    }
    if let ConvRef::Dm(user) = &model.current {
        let status = model
            .people
            .get(&user.to_lowercase())
            .map_or(PresenceStatus::Offline, |u| u.status);
        heading.push_str(&format!("   ({})", format!("{status:?}").to_lowercase()));
    }
    if model.current_conv().is_some_and(|c| c.muted) {
        heading.push_str("   [muted]");
    }
    heading
}

/// The main window's status bar: a lost connection first, else the newest notice, else
/// whether this user is away.
pub fn status_bar(model: &Model) -> String {
    model
        .connection
        .clone()
        .or_else(|| model.notices.last().cloned())
        .unwrap_or_else(|| match &model.me {
            Some(u) if u.status == PresenceStatus::Away => "You are away.".into(),
            _ => String::new(),
        })
}

/// While the coordinator presents a fingerprint other than the pinned one: what that may
/// mean, for the person to decide.
pub fn fingerprint_warning(model: &Model) -> Option<String> {
    let Phase::FingerprintChanged {
        name,
        pinned,
        offered,
    } = &model.phase
    else {
        return None;
    };
    Some(format!(
        "Warning: coordinator '{name}' now presents fingerprint {} but {pinned} was \
         trusted before. If it was not reinstalled, someone may be impersonating it: \
         ask your administrator before trusting it.",
        offered.short()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{logged_in, user};
    use crate::model::Conversation;

    #[test]
    fn title_heading_and_status() {
        let mut model = logged_in(user("alice", "Alice", PresenceStatus::Away));
        let unread = Conversation {
            last_seq: 2,
            muted: true,
            ..Conversation::default()
        };
        model.convs.insert(model.current.clone(), unread.clone());
        assert_eq!(window_title(&model), "lanchat — Alice (@alice)");
        assert_eq!(conversation_heading(&model), "#general   [muted]");
        model.current = ConvRef::Dm("bob".into());
        model.convs.insert(
            model.current.clone(),
            Conversation {
                muted: false,
                ..unread
            },
        );
        assert_eq!(window_title(&model), "(2) lanchat — Alice (@alice)");
        assert_eq!(conversation_heading(&model), "@bob   (offline)");
        assert_eq!(status_bar(&model), "You are away.");
        model.notices.push("Not allowed: x".into());
        assert_eq!(status_bar(&model), "Not allowed: x");
        assert_eq!(fingerprint_warning(&model), None);
    }
}
