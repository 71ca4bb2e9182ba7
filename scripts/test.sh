#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test of the workspace.
# Network safety: tests use only loopback (multicast bound to 127.0.0.1, TTL 0) and network
# namespaces they create themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
