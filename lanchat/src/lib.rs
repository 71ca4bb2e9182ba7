//! lanchat: an office LAN messenger. This crate holds the coordinator and the terminal
//! client; the `lanchat` binary is a thin layer over them.
//!
//! # Layout
//! - [`coordinator`]: accounts, sessions, rooms, history and presence (`lanchat coordinator`).
pub mod coordinator;
