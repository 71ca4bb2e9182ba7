//! What issue 13 added to a conversation, as the GUI drives it: the menu of a message
//! (reply, react, edit, delete), rooms with boundaries (invite, ban, private, archive,
//! delete), the typing-indicator and read-receipt settings, and telling the others that this
//! user types.
use fltk::{app, dialog};
use lanchat_client::Command;
use lanchat_net::protocol::{MsgId, Setting, TYPING_EXPIRY_MS};
use lanchat_ui_model::dialogs;
use lanchat_ui_model::model::Phase;

use super::{ask, Controller};
use crate::message::{Action, Message};

impl Controller {
    /// A key was typed: the engine tells the others (at most every few seconds).
    pub(super) fn typed(&mut self) {
        if self.model.phase == Phase::LoggedIn {
            self.send(Command::Typing(self.model.current.clone()));
        }
    }

    /// Someone types: their notice goes by itself after [`TYPING_EXPIRY_MS`].
    pub(super) fn typing_heard(&mut self) {
        let sender = self.sender;
        app::add_timeout3(TYPING_EXPIRY_MS as f64 / 1000.0 + 0.1, move |_| {
            sender.send(Message::TypingOver)
        });
    }

    /// What can be done with message `seq` of the current conversation: a menu at the
    /// pointer, then what was chosen.
    pub(super) fn message_menu(&mut self, seq: u64) {
        let items = dialogs::message_actions(&self.model, seq);
        if items.is_empty() {
            return;
        }
        let menu = fltk::menu::MenuItem::new(&items);
        let chosen = menu.popup(app::event_x(), app::event_y());
        let label = chosen.and_then(|m| m.label()).unwrap_or_default();
        let conv = self.model.current.clone();
        let id = MsgId::random();
        let command = match label.as_str() {
            dialogs::REPLY => {
                let about = dialogs::quoted(&self.model, seq);
                let Some(text) = ask(&format!("Reply to {}", about.replace('@', "@@")), "") else {
                    return;
                };
                self.model.post(&text, Some(seq), None)
            }
            dialogs::REACT_THUMBS => Command::React {
                conv,
                target: seq,
                emoji: "👍".into(),
                id,
            },
            dialogs::REACT => {
                let Some(emoji) = ask("React with (an emoji or a word):", "") else {
                    return;
                };
                Command::React {
                    conv,
                    target: seq,
                    emoji,
                    id,
                }
            }
            dialogs::EDIT => {
                let now = self
                    .model
                    .current_conv()
                    .and_then(|c| c.messages.get(&seq))
                    .map(|m| m.text.clone())
                    .unwrap_or_default();
                let Some(text) = ask("Edit your message:", &now) else {
                    return;
                };
                self.model.post(&text, None, Some(seq))
            }
            dialogs::DELETE => {
                if dialog::choice2_default(
                    "Delete this message for everyone?",
                    "Keep",
                    "Delete",
                    "",
                ) != Some(1)
                {
                    return;
                }
                Command::Delete {
                    conv,
                    target: seq,
                    id,
                }
            }
            _ => return,
        };
        self.send(command);
    }

    /// The menu commands of rooms with boundaries and of the privacy settings.
    pub(super) fn boundary_action(&mut self, action: Action) {
        let Some(room) = self.model.current_room().map(str::to_string) else {
            if matches!(action, Action::ToggleTyping | Action::ToggleReceipts) {
                return self.privacy(action);
            }
            self.model
                .notify("That works in a room; pick one on the left.", true);
            return;
        };
        match action {
            Action::Invite | Action::Ban | Action::Unban => {
                let prompt = match action {
                    Action::Invite => format!("Username to invite into #{room}:"),
                    Action::Ban => format!("Username to remove and keep out of #{room}:"),
                    _ => format!("Username to let back into #{room}:"),
                };
                if let Some(user) = ask(&prompt, "") {
                    let user = user.trim_start_matches('@').to_string();
                    self.send(match action {
                        Action::Invite => Command::Invite { room, user },
                        Action::Ban => Command::Ban { room, user },
                        _ => Command::Unban { room, user },
                    });
                }
            }
            Action::TogglePrivate | Action::ToggleArchive | Action::DeleteRoom => {
                if !self.model.owns_room() {
                    self.model
                        .notify(format!("Only the owner of #{room} can do that."), true);
                    return;
                }
                let c = self.model.current_conv();
                let (private, archived) = c.map_or((false, false), |c| (c.private, c.archived));
                match action {
                    Action::TogglePrivate => self.send(Command::SetPrivate {
                        room,
                        private: !private,
                    }),
                    Action::ToggleArchive => self.send(Command::SetArchived {
                        room,
                        archived: !archived,
                    }),
                    _ => {
                        let question = dialogs::delete_room_question(&room);
                        if dialog::choice2_default(&question, "Keep it", "Delete for everyone", "")
                            == Some(1)
                        {
                            self.send(Command::DeleteRoom(room));
                        }
                    }
                }
            }
            _ => self.privacy(action),
        }
    }

    /// Typing indicators or read receipts on or off (kept by the coordinator).
    fn privacy(&mut self, action: Action) {
        let (setting, on) = match action {
            Action::ToggleTyping => (Setting::Typing, !self.model.privacy.typing),
            Action::ToggleReceipts => (Setting::Receipts, !self.model.privacy.receipts),
            _ => return,
        };
        self.send(Command::SetSetting { setting, on });
    }
}
