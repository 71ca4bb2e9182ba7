//! The single lines around the panes: the window title, the conversation heading, the
//! status bar, and the login window's warning about a changed fingerprint.
use lanchat_net::protocol::{ChatMessage, ConvRef, PresenceStatus};

use crate::format;
use crate::model::{KeyChange, Model, Unknown};

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

/// `#dev   (3 members)`, `Bob (@bob)   (away)`, with `   [muted]` after either when muted.
pub fn conversation_heading(model: &Model) -> String {
    let mut heading = match &model.current {
        ConvRef::Room(room) => format!("#{room}"),
        ConvRef::Dm(user) => {
            let name = model.display_name(user, None);
            if name.eq_ignore_ascii_case(user) {
                format!("@{user}")
            } else {
                format!("{name} (@{user})")
            }
        }
    };
    if let Some(room) = model.current_room() {
        if let Some(n) = model.member_count(room) {
            let plural = if n == 1 { "" } else { "s" };
            heading.push_str(&format!("   ({n} member{plural})"));
        }
    }
    if let ConvRef::Dm(user) = &model.current {
        let status = match model.presence(user) {
            Some(s) => format!("{s:?}").to_lowercase(),
            None => "presence unknown".into(),
        };
        heading.push_str(&format!("   ({status})"));
    }
    if model.current_conv().is_some_and(|c| c.muted) {
        heading.push_str("   [muted]");
    }
    heading
}

/// The main window's status bar: the newest notice (they clear by themselves), else whether
/// this user is away. The connection has a banner of its own ([`connection_banner`]).
pub fn status_bar(model: &Model) -> String {
    match (model.notices.last(), &model.me) {
        (Some(n), _) => n.text.clone(),
        (None, Some(u)) if u.status == PresenceStatus::Away => "You are away.".into(),
        _ => String::new(),
    }
}

/// While disconnected: why, and a countdown to the next attempt (`elapsed_ms` since the
/// disconnection, measured by the widgets); `None` while connected.
pub fn connection_banner(model: &Model, elapsed_ms: u64) -> Option<String> {
    let down = model.connection.as_ref()?;
    let left = down.retry_in_ms.saturating_sub(elapsed_ms);
    let next = if left == 0 {
        "reconnecting…".to_string()
    } else {
        format!("trying again in {} s", left.div_ceil(1000))
    };
    Some(format!(
        "Not connected ({}); {next} Presence shown may be out of date.",
        down.reason
    ))
}

/// What an empty conversation says instead of a blank pane.
pub fn empty_conversation(model: &Model) -> Option<String> {
    let c = model.current_conv();
    let offers = match &model.current {
        ConvRef::Dm(user) => {
            model
                .offers
                .iter()
                .any(|o| o.from.eq_ignore_ascii_case(user))
                || model
                    .offer_log
                    .iter()
                    .any(|(o, _)| o.from.eq_ignore_ascii_case(user))
        }
        ConvRef::Room(_) => false,
    };
    let empty = !offers && c.is_none_or(|c| c.messages.is_empty() && c.pending.is_empty());
    let loading = c.is_some_and(|c| c.history_asked);
    if !empty || loading || c.is_some_and(|c| !c.history_done && c.last_seq > 0) {
        return None;
    }
    Some(match &model.current {
        ConvRef::Room(room) => format!(
            "No messages in #{room} yet. Say hello below; everyone in the room will see it."
        ),
        ConvRef::Dm(user) => format!(
            "This is the start of your conversation with {}. Messages reach them even when \
             they are offline; files offered here go to them directly.",
            model.display_name(user, None)
        ),
    })
}

/// The warning about a changed coordinator key, naming both fingerprints, for the person to
/// decide (login window and main window alike).
pub fn fingerprint_warning(model: &Model) -> Option<String> {
    let KeyChange {
        name,
        pinned,
        offered,
    } = model.key_changed.as_ref()?;
    Some(format!(
        "Warning: coordinator '{name}' now presents a different identity.\n\
         Trusted before:  {pinned}\n\
         Presented now:  {}\n\
         If your administrator did not reinstall it, someone may be impersonating it: \
         keep refusing and ask them. Trust the new key only if they confirm this fingerprint.",
        offered.short()
    ))
}

/// A desktop notification's summary and body for a message: who (and where, for a room),
/// and the text, shortened. Notification services may read the body as markup, so `&`, `<`
/// and `>` are escaped: a message cannot put links or images into the notification.
pub fn notification(model: &Model, message: &ChatMessage) -> (String, String) {
    let name = model.display_name(&message.sender, Some(&message.sender_display));
    let summary = match &message.conv {
        ConvRef::Dm(_) => name,
        ConvRef::Room(room) => format!("{name} in #{room}"),
    };
    let mut body: String = message.text.chars().take(NOTIFICATION_CHARS).collect();
    if message.text.chars().count() > NOTIFICATION_CHARS {
        body.push('…');
    }
    let body = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (summary, body)
}

/// Characters of a message shown in its notification.
pub const NOTIFICATION_CHARS: usize = 200;

/// One line per first contact for the login window: name, address and fingerprint.
pub fn first_contact(u: &Unknown) -> String {
    format!(
        "{}  at {}\nfingerprint {}",
        u.name,
        u.addr,
        u.fingerprint.short()
    )
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
            unread_count: 2,
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
        let id = model.notify("Not allowed: x", true);
        assert_eq!(status_bar(&model), "Not allowed: x");
        model.expire_notice(id);
        assert_eq!(status_bar(&model), "You are away.", "notices clear");
        assert_eq!(fingerprint_warning(&model), None);
    }

    #[test]
    fn notifications_name_the_sender_and_cannot_carry_markup() {
        let model = logged_in(user("alice", "Alice", PresenceStatus::Online));
        let dev = ConvRef::Room("dev".into());
        let m = crate::fixtures::text(
            dev,
            1,
            "bob",
            "<a href='x'>&</a> <img src=file:///etc/passwd>",
        );
        let (summary, body) = notification(&model, &m);
        assert_eq!(summary, "Bob (@bob) in #dev");
        assert!(!body.contains('<') && !body.contains('>'), "{body}");
        assert!(
            body.starts_with("&lt;a href='x'&gt;&amp;&lt;/a&gt;"),
            "{body}"
        );
        let long = crate::fixtures::text(ConvRef::Dm("bob".into()), 2, "bob", &"x".repeat(500));
        let (summary, body) = notification(&model, &long);
        assert_eq!(summary, "Bob (@bob)");
        assert_eq!(body.chars().count(), NOTIFICATION_CHARS + 1);
    }

    #[test]
    fn an_empty_conversation_says_what_it_is_instead_of_a_blank_pane() {
        let mut model = logged_in(user("alice", "Alice", PresenceStatus::Online));
        model
            .people
            .insert("bob".into(), user("bob", "Bob", PresenceStatus::Online));
        model.current = ConvRef::Dm("bob".into());
        let done = Conversation {
            history_done: true,
            ..Conversation::default()
        };
        model.convs.insert(model.current.clone(), done.clone());
        let hint = empty_conversation(&model).unwrap();
        assert!(
            hint.contains("start of your conversation with Bob"),
            "{hint}"
        );
        model.current = ConvRef::Room("dev".into());
        model.convs.insert(model.current.clone(), done);
        assert!(empty_conversation(&model)
            .unwrap()
            .contains("No messages in #dev"));
        // While history is loading, no hint yet.
        model.convs.get_mut(&model.current).unwrap().history_asked = true;
        assert_eq!(empty_conversation(&model), None);
    }
}
