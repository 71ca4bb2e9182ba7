//! The login window: username (remembered), password, "Keep me signed in", Log in /
//! Register, and a status line that follows discovery. A coordinator never used here is
//! listed with its name, address and fingerprint, to compare with the administrator's before
//! pressing Trust (SSH-style); a changed fingerprint is a warning naming both, with an
//! explicit choice. When nothing answers it offers to host a coordinator here, to retry, or
//! to enter an address and fingerprint.
use fltk::browser::HoldBrowser;
use fltk::button::{Button, CheckButton, ReturnButton};
use fltk::enums::{Align, Color, Font, FrameType};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::input::{Input, SecretInput};
use fltk::prelude::*;
use fltk::{app, window::Window};
use lanchat_ui_model::model::{Model, Phase};
use lanchat_ui_model::{captions, trace};

use crate::message::Message;
use crate::theme;

/// The login window's widgets.
#[derive(Debug)]
pub struct LoginWindow {
    /// The window.
    pub window: Window,
    /// Username.
    pub username: Input,
    /// Password (hidden).
    pub password: SecretInput,
    /// Keep me signed in.
    pub keep: CheckButton,
    /// Coordinator address (fallback).
    pub address: Input,
    /// Coordinator fingerprint (fallback).
    pub fingerprint: Input,
    /// First contacts (one line each).
    pub unknown: HoldBrowser,
    layout: Flex,
    login: ReturnButton,
    register: Button,
    status: Frame,
    error: Frame,
    not_found: Flex,
    first_contact: Flex,
    trust: Button,
    changed: Flex,
    changed_text: Frame,
    shown_unknown: Vec<String>,
    /// A line from hosting or connecting (shown under the status).
    pub note: Option<String>,
    layout_traced: bool,
}

fn label(text: &str) -> Frame {
    let mut f = Frame::default().with_label(text);
    f.set_align(Align::Left | Align::Inside);
    f.set_label_size(theme::SMALL);
    f
}

fn wrapped(color: Option<Color>) -> Frame {
    let mut f = Frame::default();
    f.set_align(Align::Left | Align::Inside | Align::Wrap | Align::Top);
    if let Some(c) = color {
        f.set_label_color(c);
    }
    f
}

fn primary(b: &mut impl WidgetExt, dark: bool) {
    let p = theme::palette(dark);
    b.set_color(p.accent);
    b.set_label_color(p.on_accent);
    b.set_frame(FrameType::FlatBox);
}

impl LoginWindow {
    /// Builds the window (hidden).
    pub fn new(sender: app::Sender<Message>, dark: bool) -> Self {
        let p = theme::palette(dark);
        let mut window = Window::default()
            .with_size(480, 520)
            .with_label("lanchat - log in");
        if let Some(icon) = crate::desktop::icon::image() {
            window.set_icon(Some(icon));
        }
        let mut layout = Flex::default_fill().column();
        layout.set_margin(24);
        layout.set_pad(6);

        let mut title = Frame::default().with_label("lanchat");
        title.set_label_size(28);
        title.set_label_font(Font::HelveticaBold);
        title.set_label_color(p.accent);
        layout.fixed(&title, 44);
        let l = label("Username");
        layout.fixed(&l, 18);
        let username = Input::default();
        layout.fixed(&username, 32);
        let l = label("Password");
        layout.fixed(&l, 18);
        let password = SecretInput::default();
        layout.fixed(&password, 32);
        let mut keep = CheckButton::default().with_label("Keep me signed in on this computer");
        keep.set_tooltip(
            "The next start signs in by itself (the session is kept in a file only you can \
             read). Sign out forgets it.",
        );
        layout.fixed(&keep, 24);

        let mut buttons = Flex::default().row();
        let mut login = ReturnButton::default().with_label("Log in");
        primary(&mut login, dark);
        login.emit(sender, Message::Login);
        let mut register = Button::default().with_label("Register");
        register.emit(sender, Message::Register);
        buttons.end();
        buttons.set_pad(10);
        layout.fixed(&buttons, 36);

        let status = wrapped(None);
        layout.fixed(&status, 48);
        let error = wrapped(Some(p.danger));
        layout.fixed(&error, 40);

        // A coordinator never used here: compare, then trust.
        let mut first_contact = Flex::default().column();
        first_contact.set_pad(4);
        let t = wrapped(None).with_label(
            "Compare the fingerprint with the one your administrator gave you. Trust only \
             if they match: anyone on the network can announce a coordinator.",
        );
        first_contact.fixed(&t, 60);
        let mut unknown = HoldBrowser::default();
        unknown.set_text_size(theme::SMALL + 1);
        let mut trust = Button::default().with_label("Trust this coordinator");
        primary(&mut trust, dark);
        trust.emit(sender, Message::TrustFirstContact);
        first_contact.fixed(&trust, 32);
        first_contact.end();
        first_contact.hide();

        // Shown when discovery found nothing.
        let mut not_found = Flex::default().column();
        not_found.set_pad(4);
        let t = wrapped(None).with_label(
            "No coordinator answered on this network. Host one on this computer (others in \
             the office will find it), try again, or enter the address and fingerprint your \
             administrator gave you.",
        );
        not_found.fixed(&t, 64);
        let mut row = Flex::default().row();
        let mut host = Button::default().with_label("Host a coordinator here");
        host.emit(sender, Message::HostHere);
        let mut retry = Button::default().with_label("Retry");
        retry.emit(sender, Message::Retry);
        row.fixed(&retry, 90);
        row.end();
        row.set_pad(10);
        not_found.fixed(&row, 30);
        let mut row = Flex::default().row();
        let l = label("Address");
        row.fixed(&l, 80);
        let mut address = Input::default();
        address.set_tooltip("host:port, e.g. 192.168.1.10:7117");
        row.end();
        not_found.fixed(&row, 28);
        let mut row = Flex::default().row();
        let l = label("Fingerprint");
        row.fixed(&l, 80);
        let fingerprint = Input::default();
        let mut connect = Button::default().with_label("Connect");
        connect.emit(sender, Message::ConnectTo);
        row.fixed(&connect, 80);
        row.end();
        not_found.fixed(&row, 28);
        not_found.end();
        not_found.hide();

        // Shown when the coordinator's identity changed.
        let mut changed = Flex::default().column();
        changed.set_pad(4);
        let changed_text = wrapped(Some(p.danger));
        let mut row = Flex::default().row();
        row.set_pad(10);
        let mut refuse = Button::default().with_label("Keep refusing (safe)");
        primary(&mut refuse, dark);
        refuse.emit(sender, Message::KeepRefusing);
        let mut trust_new = Button::default().with_label("Trust the new key");
        trust_new.emit(sender, Message::TrustFingerprint);
        row.end();
        changed.fixed(&row, 32);
        changed.end();
        changed.hide();

        layout.end();
        window.end();
        window.resizable(&layout);
        window.set_callback(move |_| {
            // Closing the login window quits (Escape must not).
            if app::event() == fltk::enums::Event::Close {
                sender.send(Message::Quit);
            }
        });
        LoginWindow {
            window,
            username,
            password,
            keep,
            address,
            fingerprint,
            unknown,
            layout,
            login,
            register,
            status,
            error,
            not_found,
            first_contact,
            trust,
            changed,
            changed_text,
            shown_unknown: Vec::new(),
            note: None,
            layout_traced: false,
        }
    }

    /// The selected first contact (0-based), the first when none is selected.
    pub fn selected_unknown(&self) -> usize {
        (self.unknown.value().max(1) - 1) as usize
    }

    /// Shows the model's login state.
    pub fn render(&mut self, model: &Model) {
        let mut status = model.status_line();
        if let Some(note) = &self.note {
            status = format!("{note}\n{status}");
        }
        let error = model.login_error.clone().unwrap_or_default();
        let changed = (self.status.label() != status, self.error.label() != error);
        self.status.set_label(&status.replace('@', "@@"));
        self.error.set_label(&error.replace('@', "@@"));
        let not_found = model.phase == Phase::NotFound;
        let fp_changed = model.key_changed.is_some();
        if let Some(warning) = captions::fingerprint_warning(model) {
            self.changed_text.set_label(&warning);
        }
        let lines: Vec<String> = model.unknown.iter().map(captions::first_contact).collect();
        let new_unknown = lines != self.shown_unknown;
        if new_unknown {
            self.unknown.clear();
            for l in &lines {
                for (i, part) in l.lines().enumerate() {
                    let code = if i == 0 { "@b@." } else { "@." };
                    self.unknown.add(&format!("{code}{part}"));
                }
            }
            if !lines.is_empty() {
                self.unknown.select(1);
            }
            self.shown_unknown = lines.clone();
        }
        let first_contact = !lines.is_empty() && !fp_changed;
        set_visible(&mut self.not_found, not_found && !first_contact);
        set_visible(&mut self.changed, fp_changed);
        set_visible(&mut self.first_contact, first_contact);
        // Grow the window for the extra choices, shrink it back when they go.
        let height = if not_found || fp_changed || first_contact {
            700
        } else {
            520
        };
        if self.window.h() != height {
            let (w, x, y) = (self.window.w(), self.window.x(), self.window.y());
            self.window.resize(x, y, w, height);
        }
        let working = matches!(model.phase, Phase::Found | Phase::Discovering);
        for b in [&mut self.register as &mut dyn WidgetExt, &mut self.login] {
            if working || not_found {
                b.activate();
            } else {
                b.deactivate();
            }
        }
        self.layout.layout();
        self.window.redraw();
        if trace::enabled() {
            if !self.layout_traced && self.window.shown() {
                self.layout_traced = true;
                let at = |w: &dyn WidgetExt| format!("{},{}", w.x() + w.w() / 2, w.y() + w.h() / 2);
                trace::line(&format!(
                    "login-layout username={} password={} keep={} login={} register={}",
                    at(&self.username),
                    at(&self.password),
                    at(&self.keep),
                    at(&self.login),
                    at(&self.register),
                ));
            }
            if changed.0 || changed.1 || new_unknown {
                // Drawn before the line is printed, so a screenshot taken on it shows it.
                app::flush();
            }
            if changed.0 {
                trace::line(&format!("login-status {status}"));
            }
            if changed.1 && !error.is_empty() {
                trace::line(&format!("login-error {error}"));
            }
            if new_unknown && first_contact {
                let t = &self.trust;
                trace::line(&format!(
                    "first-contact {} trust={},{}",
                    lines.join(" | ").replace('\n', " "),
                    t.x() + t.w() / 2,
                    t.y() + t.h() / 2
                ));
            }
        }
    }
}

fn set_visible(w: &mut impl WidgetExt, visible: bool) {
    if visible && !w.visible() {
        w.show();
    } else if !visible && w.visible() {
        w.hide();
    }
}
