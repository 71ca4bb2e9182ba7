//! The tray icon: a StatusNotifierItem over D-Bus (`ksni`, no GTK), with the unread count
//! in its title and tooltip, a click that shows the window, and Show / Quit in its menu.
//!
//! With no StatusNotifierWatcher on the bus (no tray host yet) the item still takes its bus
//! name and waits for one (`assume_sni_available`), so a tray that starts after lanchat
//! picks it up.
use fltk::app;
use ksni::TrayMethods;
use lanchat_ui_model::trace;

use crate::message::Message;

struct LanchatTray {
    unread: u64,
    sender: app::Sender<Message>,
    icon: Vec<ksni::Icon>,
}

impl ksni::Tray for LanchatTray {
    fn id(&self) -> String {
        "lanchat".into()
    }

    fn title(&self) -> String {
        match self.unread {
            0 => "lanchat".into(),
            n => format!("lanchat ({n} unread)"),
        }
    }

    fn icon_name(&self) -> String {
        "lanchat".into()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.icon.clone()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.title(),
            ..Default::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.sender.send(Message::ShowWindow);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        use ksni::menu::StandardItem;
        vec![
            StandardItem {
                label: "Show lanchat".into(),
                activate: Box::new(|t: &mut Self| t.sender.send(Message::ShowWindow)),
                ..Default::default()
            }
            .into(),
            ksni::MenuItem::Separator,
            StandardItem {
                label: "Quit".into(),
                activate: Box::new(|t: &mut Self| t.sender.send(Message::Quit)),
                ..Default::default()
            }
            .into(),
        ]
    }
}

/// The running tray item.
pub struct TrayHandle(Option<ksni::Handle<LanchatTray>>);

impl TrayHandle {
    pub fn running(&self) -> bool {
        self.0.as_ref().is_some_and(|h| !h.is_closed())
    }

    pub fn set_unread(&mut self, rt: &tokio::runtime::Runtime, unread: u64) {
        if let Some(h) = self.0.clone() {
            rt.spawn(async move {
                h.update(|t| t.unread = unread).await;
            });
        }
    }

    pub fn shutdown(self, rt: &tokio::runtime::Runtime) {
        if let Some(h) = self.0 {
            let _ = rt.block_on(async move {
                tokio::time::timeout(std::time::Duration::from_secs(1), h.shutdown()).await
            });
        }
    }
}

/// Puts the item on the session bus (waits at most a few seconds for the bus).
pub fn start(
    rt: &tokio::runtime::Runtime,
    sender: app::Sender<Message>,
    unread: u64,
) -> TrayHandle {
    let tray = LanchatTray {
        unread,
        sender,
        icon: super::icon::argb32().into_iter().collect(),
    };
    let spawned = rt.block_on(async move {
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tray.assume_sni_available(true).spawn(),
        )
        .await
    });
    match spawned {
        Ok(Ok(handle)) => {
            trace::line("tray registered");
            TrayHandle(Some(handle))
        }
        Ok(Err(e)) => {
            tracing::warn!("no tray icon: {e}");
            TrayHandle(None)
        }
        Err(_) => {
            tracing::warn!("no tray icon: the session bus did not answer");
            TrayHandle(None)
        }
    }
}
