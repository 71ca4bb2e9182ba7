//! The login window: username, password, Log in / Register, and a status line that follows
//! discovery. When nothing answers it offers to host a coordinator here, to retry, or to
//! enter an address and fingerprint; a changed fingerprint is a warning to confirm.
use fltk::button::{Button, ReturnButton};
use fltk::enums::{Align, Color, Font};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::input::{Input, SecretInput};
use fltk::prelude::*;
use fltk::{app, window::Window};
use lanchat_ui_model::model::{Model, Phase};
use lanchat_ui_model::{captions, trace};

use crate::message::Message;

/// The login window's widgets.
#[derive(Debug)]
pub struct LoginWindow {
    /// The window.
    pub window: Window,
    /// Username.
    pub username: Input,
    /// Password (hidden).
    pub password: SecretInput,
    /// Coordinator address (fallback).
    pub address: Input,
    /// Coordinator fingerprint (fallback).
    pub fingerprint: Input,
    layout: Flex,
    login: ReturnButton,
    register: Button,
    status: Frame,
    error: Frame,
    not_found: Flex,
    changed: Flex,
    changed_text: Frame,
    /// A line from hosting or connecting (shown under the status).
    pub note: Option<String>,
}

fn label(text: &str) -> Frame {
    let mut f = Frame::default().with_label(text);
    f.set_align(Align::Left | Align::Inside);
    f
}

fn wrapped(color: Color) -> Frame {
    let mut f = Frame::default();
    f.set_align(Align::Left | Align::Inside | Align::Wrap | Align::Top);
    f.set_label_color(color);
    f
}

impl LoginWindow {
    /// Builds the window (hidden).
    pub fn new(sender: app::Sender<Message>) -> Self {
        let mut window = Window::default()
            .with_size(460, 470)
            .with_label("lanchat — log in");
        let mut layout = Flex::default_fill().column();
        layout.set_margin(20);
        layout.set_pad(6);

        let mut title = Frame::default().with_label("lanchat");
        title.set_label_size(28);
        title.set_label_font(Font::HelveticaBold);
        layout.fixed(&title, 44);
        let l = label("Username");
        layout.fixed(&l, 20);
        let username = Input::default();
        layout.fixed(&username, 30);
        let l = label("Password");
        layout.fixed(&l, 20);
        let password = SecretInput::default();
        layout.fixed(&password, 30);

        let mut buttons = Flex::default().row();
        let mut login = ReturnButton::default().with_label("Log in");
        login.emit(sender, Message::Login);
        let mut register = Button::default().with_label("Register");
        register.emit(sender, Message::Register);
        buttons.end();
        buttons.set_pad(10);
        layout.fixed(&buttons, 34);

        let status = wrapped(Color::Foreground);
        layout.fixed(&status, 64);
        let error = wrapped(Color::from_rgb(0xb0, 0x10, 0x10));
        layout.fixed(&error, 44);

        // Shown when discovery found nothing.
        let mut not_found = Flex::default().column();
        not_found.set_pad(4);
        let t = wrapped(Color::Foreground).with_label(
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
        let changed_text = wrapped(Color::from_rgb(0xb0, 0x10, 0x10));
        let mut trust = Button::default().with_label("It was reinstalled: trust the new one");
        trust.emit(sender, Message::TrustFingerprint);
        changed.fixed(&trust, 30);
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
            address,
            fingerprint,
            layout,
            login,
            register,
            status,
            error,
            not_found,
            changed,
            changed_text,
            note: None,
        }
    }

    /// Shows the model's login state.
    pub fn render(&mut self, model: &Model) {
        let mut status = model.status_line();
        if let Some(note) = &self.note {
            status = format!("{note}\n{status}");
        }
        let error = model.login_error.clone().unwrap_or_default();
        let changed = (self.status.label() != status, self.error.label() != error);
        self.status.set_label(&status);
        self.error.set_label(&error);
        let not_found = model.phase == Phase::NotFound;
        let fp_changed = matches!(model.phase, Phase::FingerprintChanged { .. });
        if let Some(warning) = captions::fingerprint_warning(model) {
            self.changed_text.set_label(&warning);
        }
        set_visible(&mut self.not_found, not_found);
        set_visible(&mut self.changed, fp_changed);
        // Grow the window for the extra choices, shrink it back when they go.
        let height = if not_found || fp_changed { 600 } else { 470 };
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
        if trace::enabled() && (changed.0 || changed.1) {
            // Drawn before the line is printed, so a screenshot taken on it shows the text.
            app::flush();
            if changed.0 {
                trace::line(&format!("login-status {status}"));
            }
            if changed.1 && !error.is_empty() {
                trace::line(&format!("login-error {error}"));
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
