//! lanchat: an office LAN messenger. This crate holds the coordinator and the terminal
//! client; the `lanchat` binary is a thin layer over them.
//!
//! # Layout
//! - [`args`]: command-line flags.
//! - [`coordinator`]: accounts, sessions, rooms, history and presence (`lanchat coordinator`).
//! - [`cli`]: the terminal and bot client (`lanchat cli`).
pub mod args;
pub mod cli;
pub mod coordinator;
