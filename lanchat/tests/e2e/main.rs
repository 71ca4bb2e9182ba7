//! End-to-end tests: real coordinator processes, real QUIC on loopback, real multicast bound to
//! the loopback interface (TTL 0) with a private port and realm per test, real SQLite.
//!
//! # Layout
//! - `support`: starting coordinators and clients, waiting on events.
//! - `raw`: a raw protocol client (frames by hand, OPAQUE steps), as a modified lanchat is.
//! - `simlan`: a simulated office LAN of network namespaces (needs root; tests skip otherwise).
//! - one module per topic.
mod accounts;
mod boundaries;
mod changes;
mod chat;
mod cli;
mod crash;
mod discovery;
mod faults;
mod files;
mod floods;
mod forged;
mod gui;
mod logins;
mod netns;
mod pinning;
mod private;
mod protocol;
mod raw;
mod reads;
mod restart;
mod rooms;
mod simlan;
mod storage;
mod support;
