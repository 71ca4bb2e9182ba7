//! Engine events → the UI thread. A forwarding thread per engine turns each event into
//! [`Message::Engine`] on the app channel (which wakes the fltk loop), so the UI thread never
//! blocks on the engine and the engine never touches a widget.
use crossbeam_channel::Receiver;
use fltk::app;
use lanchat_client::Event;

use crate::message::Message;

/// Forwards `events` until the engine stops (its event channel closes).
pub fn forward(generation: u64, events: Receiver<Event>, sender: app::Sender<Message>) {
    let spawned = std::thread::Builder::new()
        .name("lanchat-ui-bridge".into())
        .spawn(move || {
            for event in events.iter() {
                // `send` also wakes the event loop (`app::awake`).
                sender.send(Message::Engine(generation, Box::new(event)));
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the event bridge thread: {e}");
    }
}
