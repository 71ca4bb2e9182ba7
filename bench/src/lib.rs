//! Benchmarks for lanchat (`cargo bench`); the code is in `benches/`, the current figures and
//! what limits them in `docs/performance.md`. Throughput and latency are measured here, never
//! asserted in tests.
//!
//! # Layout
//! - `benches/chat/`: client start → coordinator found, and a direct message's round trip
//!   through the coordinator taken apart: against a plain TCP relay and a bare-QUIC relay
//!   doing the same hops, raw protocol clients (no engine), and the store commit.
//! - `benches/files.rs`: file transfers through the client engine, direct and relayed,
//!   against a plain TCP copy and a bare quinn stream.
//! - `benches/load/`: fan-out to rooms of 10/100/500, round trips and memory per idle client,
//!   with the release coordinator in its own process and raw protocol clients, against ngIRCd
//!   run by the bench in a network namespace of its own, in the same run.
