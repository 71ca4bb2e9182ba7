//! A private D-Bus session bus for the GUI test, and a notification server on it that
//! records every `org.freedesktop.Notifications.Notify` call and can "click" a notification
//! (the `ActionInvoked` signal a desktop sends). Nothing here touches the real session.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;

use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

use super::Killed;
use crate::support::PATIENCE;

/// A `dbus-daemon --session` of the test's own.
pub struct SessionBus {
    _daemon: Killed,
    /// Its address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
}

impl SessionBus {
    pub fn start() -> SessionBus {
        let mut child = Process::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1", "--nopidfile"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let out = child.stdout.take().expect("stdout");
        // The address is printed once the bus accepts connections.
        let address = BufReader::new(out)
            .lines()
            .next()
            .expect("dbus-daemon printed its address")
            .expect("read the address");
        SessionBus {
            _daemon: Killed(child),
            address: address.trim().to_string(),
        }
    }
}

/// One recorded `Notify` call.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
}

struct Server {
    calls: mpsc::Sender<Shown>,
    next: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        self.next += 1;
        let _ = self.calls.send(Shown {
            id: self.next,
            summary,
            body,
            actions,
        });
        self.next
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "lanchat-test".into(),
            "lanchat".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

const PATH: &str = "/org/freedesktop/Notifications";

/// The notification server, on its own runtime.
pub struct Notifications {
    runtime: tokio::runtime::Runtime,
    connection: zbus::Connection,
    calls: mpsc::Receiver<Shown>,
}

impl Notifications {
    pub fn start(bus: &SessionBus) -> Notifications {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (tx, calls) = mpsc::channel();
        let server = Server { calls: tx, next: 0 };
        let connection = runtime
            .block_on(async {
                zbus::connection::Builder::address(bus.address.as_str())?
                    .name("org.freedesktop.Notifications")?
                    .serve_at(PATH, server)?
                    .build()
                    .await
            })
            .expect("serve org.freedesktop.Notifications");
        Notifications {
            runtime,
            connection,
            calls,
        }
    }

    /// Waits for the next notification.
    pub fn next(&self) -> Shown {
        self.calls
            .recv_timeout(PATIENCE)
            .expect("a notification was requested over D-Bus")
    }

    /// Clicks a notification (its default action), as a desktop would.
    pub fn click(&self, id: u32) {
        self.runtime
            .block_on(async {
                let iface = self
                    .connection
                    .object_server()
                    .interface::<_, Server>(PATH)
                    .await?;
                Server::action_invoked(iface.signal_emitter(), id, "default").await
            })
            .expect("emit ActionInvoked");
    }

    /// The names on the bus (the tray item takes `org.kde.StatusNotifierItem-PID-N`).
    pub fn names(&self) -> Vec<String> {
        self.runtime
            .block_on(async {
                let dbus = zbus::fdo::DBusProxy::new(&self.connection).await?;
                dbus.list_names().await
            })
            .expect("list bus names")
            .into_iter()
            .map(|n| n.to_string())
            .collect()
    }
}
