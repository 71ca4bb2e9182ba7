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
//! - `controller`: handles messages; owns the engine, the model, the settings and the
//!   windows.
//! - `login`, `main_window`: the two windows; `sidebar`, `conversation`, `transfers`:
//!   parts of the main window; `styled`: the styled text pane (conversation, search
//!   results); `picker`: small modal dialogs.
//! - `theme`: the flat light and dark palettes and the font scale.
//! - `desktop`: notifications, the tray icon, starting with the session, the icon.
pub mod message;

mod bridge;
mod controller;
mod conversation;
mod desktop;
mod login;
mod main_window;
mod picker;
mod sidebar;
mod styled;
mod theme;
mod transfers;

use std::path::PathBuf;

use fltk::app;
use lanchat_client::EngineConfig;
use lanchat_net::fingerprint::Fingerprint;

/// A coordinator started on this computer.
#[derive(Debug, Clone)]
pub struct Hosted {
    /// A line describing it (name, address, fingerprint).
    pub description: String,
    /// The name it announces.
    pub name: String,
    /// Its fingerprint (trusted: the person chose to host it).
    pub fingerprint: Fingerprint,
}

/// Starts a coordinator on this computer, or says why it could not start. Provided by the
/// binary, which owns the coordinator code.
pub type HostHook = Box<dyn FnMut() -> Result<Hosted, String> + Send>;

/// What the GUI needs from its caller.
pub struct UiOptions {
    /// How the engine finds the coordinator.
    pub engine: EngineConfig,
    /// Where received files go by default.
    pub downloads: PathBuf,
    /// "Host a coordinator on this computer", offered when none is found.
    pub host: Option<HostHook>,
    /// Start in the tray without a window (started with the desktop session).
    pub hidden: bool,
}

impl std::fmt::Debug for UiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiOptions")
            .field("engine", &self.engine)
            .field("downloads", &self.downloads)
            .field("host", &self.host.is_some())
            .field("hidden", &self.hidden)
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
    let _app = app::App::default().with_scheme(app::Scheme::Gtk);
    let (sender, receiver) = app::channel::<message::Message>();
    let mut controller = controller::Controller::new(
        options.engine,
        options.host,
        options.downloads,
        options.hidden,
        sender,
    );
    controller.render();
    // Not `app.wait()`: that ends when no window is shown, and the GUI lives on in the tray.
    while !controller.finished() {
        // An error here is an interrupted wait (a signal): just wait again.
        let _ = app::wait_for(1.0);
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
