//! The menu commands and the lists' clicks.
use fltk::{app, dialog};
use lanchat_client::Command;
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::sidebar::Row;
use lanchat_ui_model::{dialogs, trace};

use super::{ask, Controller};
use crate::desktop::autostart;
use crate::message::{Action, Click, List};
use crate::theme;

impl Controller {
    pub(super) fn picked(&mut self, list: List, line: i32, how: Click) {
        let Some(row) = self.main.sidebar.row(list, line) else {
            return;
        };
        match (list, row, how) {
            (List::Direct, Row::Conv(conv), Click::Right) => self.direct_menu(conv),
            (_, Row::Conv(conv), _) => self.switch(conv),
            (List::Members, Row::User(user), Click::Right) => self.member_menu(&user),
            // A single click selects; a double click opens the direct conversation (a
            // stray click no longer creates empty conversations).
            (_, Row::User(user), Click::Double) => {
                if self.model.username() != Some(user.as_str()) {
                    self.switch(ConvRef::Dm(user));
                }
            }
            (_, Row::User(_), _) => {}
        }
    }

    fn direct_menu(&mut self, conv: ConvRef) {
        let menu = fltk::menu::MenuItem::new(&["Open", "Close conversation"]);
        let chosen = menu.popup(app::event_x(), app::event_y());
        match chosen.and_then(|m| m.label()).as_deref() {
            Some("Open") => self.switch(conv),
            Some("Close conversation") => {
                self.model.close(&conv);
                trace::line(&format!("closed {conv}"));
            }
            _ => {}
        }
    }

    fn member_menu(&mut self, user: &str) {
        let mut items = vec!["Message"];
        if self.model.can_moderate() {
            items.extend(["Kick from room…", "Ban from room", "Promote to admin"]);
        }
        let menu = fltk::menu::MenuItem::new(&items);
        let Some(room) = self.model.current_room().map(str::to_string) else {
            return;
        };
        let chosen = menu.popup(app::event_x(), app::event_y());
        let label = chosen.and_then(|m| m.label()).unwrap_or_default();
        let user = user.to_string();
        match label.as_str() {
            "Message" => self.switch(ConvRef::Dm(user)),
            "Kick from room…" => self.kick(room, user),
            "Ban from room" => self.send(lanchat_client::Command::Ban { room, user }),
            "Promote to admin" => self.send(Command::Promote { room, user }),
            _ => {}
        }
    }

    /// Kicking asks first.
    fn kick(&mut self, room: String, user: String) {
        let display = self.model.display_name(&user, None);
        let question = dialogs::kick_question(&room, &display);
        if dialog::choice2_default(&question.replace('@', "@@"), "Cancel", "Remove", "") == Some(1)
        {
            self.send(Command::Kick { room, user });
        }
    }

    pub(super) fn action(&mut self, action: Action) {
        let room = self.model.current_room().map(str::to_string);
        let in_room = |this: &mut Self| -> Option<String> {
            if room.is_none() {
                this.model
                    .notify("That works in a room; pick one on the left.", true);
            }
            room.clone()
        };
        match action {
            Action::CreateRoom => {
                if let Some(name) = ask("Name of the new room:", "") {
                    self.send(Command::CreateRoom(name.trim_start_matches('#').into()));
                }
            }
            Action::JoinRoom => {
                self.join_asked = true;
                self.send(Command::ListRooms);
            }
            Action::LeaveRoom => {
                if let Some(room) = in_room(self) {
                    if room == "general" {
                        self.model
                            .notify("Everyone stays in #general; it cannot be left.", true);
                    } else if dialog::choice2_default(
                        &format!("Leave #{room}?"),
                        "Stay",
                        "Leave",
                        "",
                    ) == Some(1)
                    {
                        self.send(Command::LeaveRoom(room));
                    }
                }
            }
            Action::SetTopic => {
                if let Some(room) = in_room(self) {
                    let now = self
                        .model
                        .current_conv()
                        .map(|c| c.topic.clone())
                        .unwrap_or_default();
                    if let Some(topic) = ask(&format!("Topic of #{room}:"), &now) {
                        self.send(Command::SetTopic { room, topic });
                    }
                }
            }
            Action::Kick | Action::Promote => {
                let Some(room) = in_room(self) else { return };
                let items = dialogs::members_to_moderate(&self.model, &room);
                let what = if action == Action::Kick {
                    "Remove from"
                } else {
                    "Make admin in"
                };
                if let Some(user) = crate::picker::pick(what, &format!("{what} #{room}:"), &items) {
                    if action == Action::Kick {
                        self.kick(room, user);
                    } else {
                        self.send(Command::Promote { room, user });
                    }
                }
            }
            Action::DirectMessage => {
                let items = dialogs::people_to_message(&self.model);
                if let Some(user) = crate::picker::pick("Direct message", "Talk to:", &items) {
                    self.switch(ConvRef::Dm(user.trim_start_matches('@').into()));
                }
            }
            Action::QuickSwitch => {
                let items = dialogs::conversations_to_open(&self.model);
                trace::line("quick-switcher");
                let picked = crate::picker::pick("Go to", "Type part of a name:", &items);
                match picked.as_deref().map(|p| p.split_at(1)) {
                    Some(("#", room)) => self.switch(ConvRef::Room(room.into())),
                    Some(("@", user)) => self.switch(ConvRef::Dm(user.into())),
                    Some(_) | None => {}
                }
            }
            Action::CloseConversation => {
                let conv = self.model.current.clone();
                if self.model.close(&conv) {
                    trace::line(&format!("closed {conv}"));
                } else {
                    self.model
                        .notify("Rooms are left, not closed: Room → Leave this room.", false);
                }
            }
            Action::ToggleMute => {
                let conv = self.model.current.clone();
                let muted = self.model.current_conv().is_some_and(|c| c.muted);
                trace::line(&format!("mute {conv} {}", !muted));
                self.send(Command::SetMuted {
                    conv,
                    muted: !muted,
                });
            }
            Action::Nick => {
                let now = self.model.me.as_ref().map(|u| u.display.clone());
                if let Some(name) = ask("Display name:", &now.unwrap_or_default()) {
                    self.send(Command::SetDisplay(name));
                }
            }
            Action::Password => {
                let Some(old) = dialog::password_default("Current password:", "") else {
                    return;
                };
                let Some(new) = dialog::password_default("New password (10+ characters):", "")
                else {
                    return;
                };
                if dialog::password_default("New password again:", "").as_deref() != Some(&new) {
                    self.model
                        .notify("The two new passwords differ; nothing changed.", true);
                    return;
                }
                self.send(Command::ChangePassword { old, new });
            }
            Action::Away => self.send(Command::SetAway(true)),
            Action::Back => self.send(Command::SetAway(false)),
            Action::Search => {
                if let Some(q) = ask("Search all conversations for:", "") {
                    self.send(Command::Search(q));
                }
            }
            Action::CloseSearch => self.model.search = None,
            Action::Invite
            | Action::Ban
            | Action::Unban
            | Action::TogglePrivate
            | Action::ToggleArchive
            | Action::DeleteRoom
            | Action::ToggleTyping
            | Action::ToggleReceipts => self.boundary_action(action),
            Action::SignOut => self.sign_out(),
            Action::ToggleDark => {
                self.settings.dark = !self.settings.dark;
                theme::apply(self.settings.dark);
                self.main.set_theme(self.settings.dark);
                self.save_settings();
                trace::line(&format!("theme dark={}", self.settings.dark));
            }
            Action::ToggleNotifications => {
                self.settings.notifications = !self.settings.notifications;
                self.save_settings();
            }
            Action::ToggleAutostart => {
                let on = !self.settings.autostart;
                match autostart::set(on) {
                    Ok(()) => {
                        self.settings.autostart = on;
                        self.save_settings();
                        let what = if on {
                            "lanchat will start with your desktop session, in the tray."
                        } else {
                            "lanchat will no longer start with your desktop session."
                        };
                        self.model.notify(what, false);
                    }
                    Err(why) => {
                        self.model.notify(
                            format!("Cannot change starting with the session: {why}"),
                            true,
                        );
                    }
                }
            }
        }
        self.main.set_toggles(&self.settings);
    }

    pub(super) fn join_picker(&mut self) {
        let items = dialogs::rooms_to_join(&self.model);
        if let Some(room) = crate::picker::pick("Join a room", "Rooms you are not in:", &items) {
            self.send(Command::JoinRoom(room.trim_start_matches('#').into()));
        }
    }
}
