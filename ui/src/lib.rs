//! lanchat's desktop GUI (FLTK): a front end over the client engine, like `lanchat cli`.
//!
//! The GUI only sends the engine [`Command`](lanchat_client::Command)s and renders its
//! [`Event`](lanchat_client::Event)s: no socket or async code lives here. Exactly one
//! app-wide [`message::Message`] travels through fltk's `app::channel`; engine events reach
//! the main thread through it, and all widget work happens on the main thread.
//!
//! What the windows show (the view model, markup, display text) lives in the FLTK-free
//! [`lanchat_ui_model`], where it is unit-tested without a display; this crate is the widgets
//! and the wiring.
//!
//! # Layout
//! - [`message`]: the app-wide message enum.
//! - `bridge`: the thread forwarding engine events into the channel.
//! - `controller`: handles messages; owns the engine, the model and the windows.
//! - `login`, `main_window`: the two windows; `sidebar`, `conversation`, `transfers`:
//!   parts of the main window; `picker`: small modal dialogs.
pub mod message;

mod bridge;
mod controller;
mod conversation;
mod login;
mod main_window;
mod picker;
mod sidebar;
mod transfers;

use std::path::PathBuf;

use fltk::app;
use lanchat_client::EngineConfig;

/// Starts a coordinator on this computer; returns a line describing it (name, address,
/// fingerprint) or why it could not start. Provided by the binary, which owns the
/// coordinator code.
pub type HostHook = Box<dyn FnMut() -> Result<String, String> + Send>;

/// What the GUI needs from its caller.
pub struct UiOptions {
    /// How the engine finds the coordinator.
    pub engine: EngineConfig,
    /// Where received files go by default.
    pub downloads: PathBuf,
    /// "Host a coordinator on this computer", offered when none is found.
    pub host: Option<HostHook>,
}

impl std::fmt::Debug for UiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiOptions")
            .field("engine", &self.engine)
            .field("downloads", &self.downloads)
            .field("host", &self.host.is_some())
            .finish()
    }
}

/// Why the GUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// There is no graphical display to open windows on.
    #[error("no graphical display (DISPLAY is not set); use `lanchat cli` in a terminal")]
    NoDisplay,
    /// FLTK could not start.
    #[error("cannot start the GUI toolkit: {0}")]
    Toolkit(#[from] fltk::prelude::FltkError),
}

/// Opens the login window and runs until the person quits.
pub fn run(options: UiOptions) -> Result<(), UiError> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if cfg!(all(unix, not(target_os = "macos"))) && !has_display {
        return Err(UiError::NoDisplay);
    }
    let app = app::App::default().with_scheme(app::Scheme::Gtk);
    app::set_font_size(14);
    let (sender, receiver) = app::channel::<message::Message>();
    let mut controller =
        controller::Controller::new(options.engine, options.host, options.downloads, sender);
    controller.render();
    while app.wait() {
        let mut handled = false;
        while let Some(message) = receiver.recv() {
            controller.handle(message);
            handled = true;
        }
        if handled {
            controller.render();
        }
    }
    Ok(())
}
