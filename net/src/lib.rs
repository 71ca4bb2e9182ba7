//! lanchat networking: wire protocol, discovery, transport, client engine.
pub mod protocol;
