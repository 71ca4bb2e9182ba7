//! Benchmarks for lanchat; see benches/.
