//! Signing in and out, hosting or naming a coordinator, and ending: the login window's
//! buttons, the window's close button, Sign out and Quit.
use fltk::app;
use fltk::prelude::*;
use lanchat_client::{Command, Event, Target};
use lanchat_net::fingerprint::Pin;
use lanchat_ui_model::model::Phase;
use lanchat_ui_model::trace;

use super::Controller;
use crate::message::Message;

impl Controller {
    pub(super) fn log_in(&mut self, register: bool) {
        let username = self.login.username.value().trim().to_string();
        let password = self.login.password.value();
        if username.is_empty() || password.is_empty() {
            self.model.login_error = Some("Type a username and a password first.".into());
            return;
        }
        self.model.login_error = None;
        let keep = self.login.keep.is_checked();
        self.settings.keep_signed_in = keep;
        self.settings.username = username.clone();
        self.save_settings();
        trace::line(&format!(
            "{} {username}",
            if register {
                "registering"
            } else {
                "logging-in"
            }
        ));
        self.send(Command::RememberSession(keep));
        self.send(if register {
            Command::Register { username, password }
        } else {
            Command::Login { username, password }
        });
    }

    pub(super) fn host_here(&mut self) {
        let Some(host) = self.host.as_mut() else {
            self.model.login_error = Some("This build cannot host a coordinator.".into());
            return;
        };
        match host() {
            Ok(hosted) => {
                trace::line(&format!("hosting {}", hosted.description));
                self.login.note = Some(hosted.description);
                self.model.login_error = None;
                // Hosting it here is the person's explicit choice: trust its key. The engine
                // is still listening and finds it by multicast as usual.
                self.send(Command::AcceptFingerprint {
                    name: hosted.name,
                    fingerprint: hosted.fingerprint,
                });
                self.model.rediscover();
            }
            Err(why) => {
                self.model.login_error = Some(format!("Cannot host a coordinator here: {why}"))
            }
        }
    }

    pub(super) fn connect_to(&mut self) {
        let addr = self.login.address.value();
        let fingerprint = self.login.fingerprint.value();
        let addr = match addr.trim().parse() {
            Ok(a) => a,
            Err(_) => {
                self.model.login_error = Some(format!(
                    "'{addr}' is not an address like 192.168.1.10:7117."
                ));
                return;
            }
        };
        let pin: Pin = match fingerprint.trim().parse() {
            Ok(p) => p,
            Err(_) => {
                self.model.login_error = Some(
                    "That fingerprint is not valid: type it as the coordinator printed it.".into(),
                );
                return;
            }
        };
        self.model.login_error = None;
        self.config.coordinator = Some(Target { addr, pin });
        self.start_engine();
    }

    /// The window's close button: to the tray while logged in (if there is a tray).
    pub(super) fn close_window(&mut self) {
        if self.model.phase == Phase::LoggedIn && self.desktop.has_tray() {
            self.main.window.hide();
            self.save_settings();
            trace::line("window hidden");
        } else {
            self.quit();
        }
    }

    /// Sign out: the session ends on the coordinator and the kept one is forgotten; the
    /// login window comes back.
    pub(super) fn sign_out(&mut self) {
        self.signing_out = true;
        self.settings.keep_signed_in = false;
        self.login.keep.set_checked(false);
        self.save_settings();
        self.send(Command::Logout);
        self.main.window.hide();
        // If the coordinator does not answer, do not wait for it.
        let (sender, generation) = (self.sender, self.generation);
        app::add_timeout3(3.0, move |_| {
            sender.send(Message::Engine(generation, Box::new(Event::Stopped)))
        });
    }

    pub(super) fn signed_out(&mut self) {
        self.signing_out = false;
        self.config.remember_session = false;
        self.start_engine();
        self.login.password.set_value("");
        self.login.window.show();
        trace::line("signed-out");
        trace::line("window login");
    }

    pub(super) fn quit(&mut self) {
        self.save_settings();
        let logged_in = self.model.phase == Phase::LoggedIn && self.engine.is_some();
        if self.quitting || !logged_in || self.settings.keep_signed_in {
            // Kept signed in: the session stays for the next start (the engine stops).
            self.exit();
            return;
        }
        // Log out after what was typed is delivered; quit when the engine says so, or soon.
        self.quitting = true;
        self.send(Command::Logout);
        self.main.window.hide();
        let sender = self.sender;
        app::add_timeout3(3.0, move |_| sender.send(Message::Exit));
    }

    /// Ends the program: windows and tray go, the run loop ends.
    pub(super) fn exit(&mut self) {
        self.finished = true;
        self.desktop.shutdown();
        app::quit();
    }

    /// Whether the program is to end.
    pub fn finished(&self) -> bool {
        self.finished
    }
}
