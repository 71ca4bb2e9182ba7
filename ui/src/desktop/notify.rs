//! Desktop notifications (`notify-rust`: the freedesktop D-Bus service on Linux, the
//! platform's own on Windows and macOS). Clicking one opens its conversation: the "default"
//! action comes back as [`Message::Open`].
use std::sync::Arc;
use std::time::Duration;

use fltk::app;
use lanchat_net::protocol::ConvRef;
use tokio::sync::Semaphore;

use crate::message::Message;

/// Notifications whose click is still awaited at most; beyond it they are shown without
/// waiting for a click (a burst of messages never piles up tasks).
const MAX_WAITING: usize = 8;
/// How long a click is awaited.
const CLICK_WAIT: Duration = Duration::from_secs(600);

/// Shows notifications and waits for their clicks, boundedly.
#[derive(Debug)]
pub struct Notifier {
    waiting: Arc<Semaphore>,
}

impl Default for Notifier {
    fn default() -> Self {
        Notifier {
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
        }
    }
}

impl Notifier {
    pub fn show(
        &self,
        rt: &tokio::runtime::Runtime,
        sender: app::Sender<Message>,
        summary: String,
        body: String,
        conv: ConvRef,
    ) {
        let waiting = self.waiting.clone();
        rt.spawn(async move {
            let mut n = notify_rust::Notification::new();
            n.appname("lanchat")
                .summary(&summary)
                .body(&body)
                .icon("lanchat")
                .action("default", "Open");
            #[cfg(all(unix, not(target_os = "macos")))]
            {
                let shown = match n.show_async().await {
                    Ok(handle) => handle,
                    Err(e) => {
                        tracing::warn!("cannot show a desktop notification: {e}");
                        return;
                    }
                };
                let Ok(_permit) = waiting.try_acquire() else {
                    return;
                };
                let clicked = shown.wait_for_action_async(|response| {
                    if matches!(response, notify_rust::NotificationResponse::Default)
                        || matches!(response, notify_rust::NotificationResponse::Action(a) if a == "default")
                    {
                        sender.send(Message::Open(conv));
                    }
                });
                let _ = tokio::time::timeout(CLICK_WAIT, clicked).await;
            }
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            {
                // Windows and macOS: shown; a click brings the app forward by itself.
                let _ = (&waiting, sender, conv);
                if let Err(e) = n.show() {
                    tracing::warn!("cannot show a desktop notification: {e}");
                }
            }
        });
    }
}
