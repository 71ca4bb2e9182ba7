//! The desktop around the window: notifications, the tray icon, starting with the session,
//! the application icon.
//!
//! D-Bus work (notifications through `org.freedesktop.Notifications`, the tray's
//! StatusNotifierItem) runs on a small tokio runtime of its own so the FLTK thread never
//! waits on the bus; what comes back (a clicked notification, a tray menu item) arrives as a
//! [`Message`] on the app channel like everything else. A desktop without these services
//! costs a warning in the log, never the GUI.
//!
//! # Layout
//! - this file: [`Desktop`], the handle the controller holds.
//! - `notify`: desktop notifications, and their clicks.
//! - `tray`: the tray icon with the unread count and its menu (Linux; elsewhere none yet).
//! - `autostart`: the "start with the desktop session" entry.
//! - `icon`: the application icon, embedded.
pub mod autostart;
pub mod icon;
mod notify;
#[cfg(target_os = "linux")]
mod tray;

use fltk::app;
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::trace;

use crate::message::Message;

/// The desktop services the GUI uses.
pub struct Desktop {
    runtime: Option<tokio::runtime::Runtime>,
    sender: app::Sender<Message>,
    #[cfg(target_os = "linux")]
    tray: Option<tray::TrayHandle>,
    notifications: notify::Notifier,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("runtime", &self.runtime.is_some())
            .finish_non_exhaustive()
    }
}

impl Desktop {
    /// Starts the runtime (no D-Bus connection yet: that happens on first use).
    pub fn new(sender: app::Sender<Message>) -> Desktop {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lanchat-desktop")
            .enable_all()
            .build()
            .map_err(|e| tracing::warn!("no desktop integration: {e}"))
            .ok();
        Desktop {
            runtime,
            sender,
            #[cfg(target_os = "linux")]
            tray: None,
            notifications: notify::Notifier::default(),
        }
    }

    /// Puts the icon in the tray (Linux), showing `unread`, and starts hearing clicks on
    /// notifications.
    pub fn start_tray(&mut self, unread: u64) {
        if let Some(rt) = &self.runtime {
            self.notifications.listen(rt, self.sender);
        }
        #[cfg(target_os = "linux")]
        if let (Some(rt), None) = (&self.runtime, &self.tray) {
            self.tray = Some(tray::start(rt, self.sender, unread));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = unread;
    }

    /// Whether there is a tray to hide the window in.
    pub fn has_tray(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.tray.as_ref().is_some_and(tray::TrayHandle::running);
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// The unread count changed.
    pub fn set_unread(&mut self, unread: u64) {
        #[cfg(target_os = "linux")]
        if let (Some(rt), Some(t)) = (&self.runtime, &mut self.tray) {
            t.set_unread(rt, unread);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = unread;
    }

    /// Shows a notification; clicking it sends [`Message::Open`] for `conv`.
    pub fn notify(&mut self, summary: &str, body: &str, conv: ConvRef) {
        trace::line(&format!("notify {conv} {summary}: {body}"));
        if let Some(rt) = &self.runtime {
            self.notifications
                .show(rt, self.sender, summary.into(), body.into(), conv);
        }
    }

    /// Ends the tray and waits for nothing else (pending notifications are abandoned).
    pub fn shutdown(&mut self) {
        #[cfg(target_os = "linux")]
        if let (Some(rt), Some(t)) = (&self.runtime, self.tray.take()) {
            t.shutdown(rt);
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
