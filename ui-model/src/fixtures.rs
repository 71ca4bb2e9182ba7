//! Test data shared by the unit tests of the display modules.
use lanchat_net::protocol::{ChatMessage, ConvRef, MsgId, PresenceStatus, UserInfo};

use crate::model::Model;

/// A person.
pub fn user(username: &str, display: &str, status: PresenceStatus) -> UserInfo {
    UserInfo {
        username: username.into(),
        display: display.into(),
        status,
    }
}

/// A model logged in as `me`, who is also among the people.
pub fn logged_in(me: UserInfo) -> Model {
    let mut model = Model {
        me: Some(me.clone()),
        ..Model::default()
    };
    model.people.insert(me.username.to_lowercase(), me);
    model
}

/// A text message from `sender` (displayed capitalised, as "Bob") at a fixed time.
pub fn text(conv: ConvRef, seq: u64, sender: &str, text: &str) -> ChatMessage {
    let mut display = sender.to_string();
    display[..1].make_ascii_uppercase();
    ChatMessage {
        id: MsgId::random(),
        sender_display: display,
        ts_ms: 1_700_000_000_000,
        ..ChatMessage::plain(conv, seq, sender, text)
    }
}
