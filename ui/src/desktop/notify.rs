//! Desktop notifications (`notify-rust`: the freedesktop D-Bus service on Linux, the
//! platform's own on Windows and macOS). Clicking one opens its conversation.
//!
//! On Linux the clicks are heard by one listener (the `ActionInvoked` signal on the session
//! bus, subscribed before the first notification is shown, so no click is missed); it knows
//! which conversation each shown notification is about (the newest [`MAX_REMEMBERED`]) and
//! sends [`Message::Open`]. Elsewhere a click brings the application forward by itself.
use fltk::app;
use lanchat_net::protocol::ConvRef;

use crate::message::Message;

/// Notifications whose click is still understood at most (the oldest are forgotten).
pub const MAX_REMEMBERED: usize = 64;

#[cfg(target_os = "linux")]
mod clicks {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use fltk::app;
    use futures_util::StreamExt;
    use lanchat_net::protocol::ConvRef;
    use lanchat_ui_model::trace;
    use zbus::MatchRule;

    use super::MAX_REMEMBERED;
    use crate::message::Message;

    /// Shown notifications by id (newest last), and clicks heard before the notification
    /// service's reply told which id a notification got (a fast click, or a fast test).
    #[derive(Debug, Default)]
    pub struct Book {
        shown: VecDeque<(u32, ConvRef)>,
        early: VecDeque<u32>,
    }

    /// The book, shared by the listener and the tasks that show notifications.
    pub type Shown = Arc<Mutex<Book>>;

    fn book(shown: &Shown) -> std::sync::MutexGuard<'_, Book> {
        shown.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to the clicks, says so on `ready`, then serves them until the bus goes
    /// away.
    pub async fn listen(
        shown: Shown,
        sender: app::Sender<Message>,
        ready: tokio::sync::oneshot::Sender<()>,
    ) -> zbus::Result<()> {
        let connection = zbus::Connection::session().await?;
        let rule = MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface("org.freedesktop.Notifications")?
            .member("ActionInvoked")?
            .build();
        let mut stream = zbus::MessageStream::for_match_rule(rule, &connection, Some(16)).await?;
        trace::line("notifications listening");
        let _ = ready.send(());
        while let Some(message) = stream.next().await {
            let Ok((id, action)) = message?.body().deserialize::<(u32, String)>() else {
                continue;
            };
            if action != "default" {
                continue;
            }
            let conv = {
                let mut b = book(&shown);
                let at = b.shown.iter().position(|(i, _)| *i == id);
                let conv = at.and_then(|at| b.shown.remove(at)).map(|(_, c)| c);
                if conv.is_none() {
                    b.early.push_back(id);
                    while b.early.len() > MAX_REMEMBERED {
                        b.early.pop_front();
                    }
                }
                conv
            };
            if let Some(conv) = conv {
                sender.send(Message::Open(conv));
            }
        }
        Ok(())
    }

    /// Remembers what a shown notification is about (or opens it, if it was clicked
    /// already).
    pub fn remember(shown: &Shown, id: u32, conv: ConvRef, sender: app::Sender<Message>) {
        let mut b = book(shown);
        if let Some(at) = b.early.iter().position(|i| *i == id) {
            b.early.remove(at);
            sender.send(Message::Open(conv));
            return;
        }
        b.shown.push_back((id, conv));
        while b.shown.len() > MAX_REMEMBERED {
            b.shown.pop_front();
        }
    }
}

/// Shows notifications and hears their clicks.
#[derive(Debug, Default)]
pub struct Notifier {
    #[cfg(target_os = "linux")]
    shown: Option<clicks::Shown>,
}

impl Notifier {
    /// Starts hearing clicks (once; Linux), waiting at most a few seconds for the bus.
    pub fn listen(&mut self, rt: &tokio::runtime::Runtime, sender: app::Sender<Message>) {
        #[cfg(target_os = "linux")]
        self.shown.get_or_insert_with(|| {
            let shown = clicks::Shown::default();
            let (ready, listening) = tokio::sync::oneshot::channel();
            let listener = shown.clone();
            rt.spawn(async move {
                if let Err(e) = clicks::listen(listener, sender, ready).await {
                    tracing::warn!("clicks on notifications will not be heard: {e}");
                }
            });
            // Subscribed before the first notification goes out (a bounded wait; an error
            // or a silent bus just means no clicks).
            let _ = rt.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3), listening).await
            });
            shown
        });
        #[cfg(not(target_os = "linux"))]
        let _ = (rt, sender);
    }

    /// Shows one notification about `conv`.
    pub fn show(
        &mut self,
        rt: &tokio::runtime::Runtime,
        sender: app::Sender<Message>,
        summary: String,
        body: String,
        conv: ConvRef,
    ) {
        #[cfg(target_os = "linux")]
        {
            self.listen(rt, sender);
            let Some(shown) = &self.shown else { return };
            let shown = shown.clone();
            rt.spawn(async move {
                let mut n = notify_rust::Notification::new();
                n.appname("lanchat")
                    .summary(&summary)
                    .body(&body)
                    .icon("lanchat")
                    .action("default", "Open");
                match n.show_async().await {
                    Ok(handle) => clicks::remember(&shown, handle.id(), conv, sender),
                    Err(e) => tracing::warn!("cannot show a desktop notification: {e}"),
                }
            });
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (sender, conv);
            rt.spawn(async move {
                let mut n = notify_rust::Notification::new();
                n.appname("lanchat").summary(&summary).body(&body);
                if let Err(e) = n.show() {
                    tracing::warn!("cannot show a desktop notification: {e}");
                }
            });
        }
    }
}
