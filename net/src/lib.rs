//! lanchat networking: wire protocol, discovery, transport, client engine.
pub mod beacon;
pub mod discovery;
pub mod protocol;
