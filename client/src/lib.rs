//! The client engine: the one API every front end (terminal client, GUI, tests) drives.
//!
//! Commands go in and events come out over crossbeam channels; the async runtime, the QUIC
//! connection and the multicast socket live on the engine's own thread, so a front end never
//! blocks on the network and never touches a socket. The engine finds the coordinator (by
//! multicast, or at a given address), pins its fingerprint, logs in, keeps the session, and
//! after any interruption reconnects by itself and catches up without gaps or duplicates.
//!
//! Inside, the engine is two layers, in the manner of quinn-proto and quinn:
//! - the [`core`] decides everything and does no I/O: it has no sockets, no tasks and no
//!   clock (time is passed in). It is fed with `handle_*` calls (a command, a frame from the
//!   coordinator, a beacon, a timeout, the end of a task) and drained with `poll_action`
//!   (what the driver must do: connect, send a frame, probe, start a transfer…) and
//!   `poll_event` (what the front end is told). Client behaviour is specified by its unit
//!   tests, some of which connect it to a real coordinator hub in memory.
//! - the `driver` owns the runtime, the sockets, the timers and the transfer tasks, and
//!   does what the core asks.
//!
//! # Layout
//! - [`api`]: configuration, [`Command`], [`Event`] (re-exported at the root).
//! - this file: the [`Engine`] handle (starts the driver's thread).
//! - [`core`]: the I/O-free state machine (locate, connect, log in, serve, retry; files).
//! - `driver`: the async loop around the core; QUIC connections; transfer tasks.
//! - [`known`]: the known-coordinators file (pins kept across runs) and, beside it, which
//!   coordinators have seen which users log in with OPAQUE.
//! - [`remembered`]: the kept session file ("keep me signed in").
pub mod api;
pub mod core;
mod driver;
pub mod known;
pub mod remembered;

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

pub use api::{Command, EngineConfig, EngineError, Event, Target, TransferKey};

/// A running engine. Dropping it stops the engine.
#[derive(Debug)]
pub struct Engine {
    commands: Sender<Command>,
    events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts the engine thread. Returns once the sockets are set up.
    pub fn start(config: EngineConfig) -> Result<Engine, EngineError> {
        if config.discovery.is_none() && config.coordinator.is_none() {
            return Err(EngineError::NoCoordinator);
        }
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let (event_tx, events) = crossbeam_channel::unbounded();
        let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
        let thread = std::thread::Builder::new()
            .name("lanchat-engine".into())
            .spawn(move || driver::main(config, command_rx, event_tx, ready_tx))
            .map_err(EngineError::Runtime)?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Engine {
                commands,
                events,
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(EngineError::Died),
        }
    }

    /// Queues a command.
    pub fn send(&self, command: Command) {
        // Fails only after the engine stopped, which the Stopped event already said.
        let _ = self.commands.send(command);
    }

    /// A handle for sending commands from another thread.
    pub fn commands(&self) -> Sender<Command> {
        self.commands.clone()
    }

    /// The event stream.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
