//! End-to-end tests: real coordinator processes, real QUIC on loopback, real multicast bound to
//! the loopback interface (TTL 0) with a private port and realm per test, real SQLite.
//!
//! # Layout
//! - `support`: starting coordinators and clients, waiting on events.
//! - one module per topic.
mod accounts;
mod chat;
mod cli;
mod crash;
mod discovery;
mod files;
mod gui;
mod netns;
mod pinning;
mod protocol;
mod restart;
mod rooms;
mod support;
