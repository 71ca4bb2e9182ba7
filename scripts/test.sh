#!/usr/bin/env bash
# The test command: installs what is missing, then checks formatting, lints and the API docs
# and runs every test of the workspace, the docs' examples included, then the Windows smoke
# test under Wine and the package tests. Network safety: tests use only loopback (multicast
# bound to 127.0.0.1, TTL 0) and network namespaces they create themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The docs build without warnings: a broken or private intra-doc link fails here, not later.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --lib --bins --tests --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The examples in the docs are tests too (a separate run: --doc cannot be combined with the
# target selection above).
cargo test --workspace --doc --locked 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e
# A short fuzz run of every target (the long runs: scripts/fuzz.sh SECONDS).
if [ "$status" -eq 0 ]; then
  command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked --quiet cargo-fuzz
  scripts/fuzz.sh "${LANCHAT_FUZZ_SECONDS:-10}" || status=1
fi
# The Windows build under Wine (skips with a SKIPPED line where Wine or namespaces are
# missing), then the packages: the .deb in a throw-away root, the zip, the installer under
# Wine. Their build outputs are cached under ~/.cache/lanchat (see the scripts).
if [ "$status" -eq 0 ]; then
  scripts/test-windows.sh || status=1
fi
if [ "$status" -eq 0 ]; then
  scripts/package.sh --test || status=1
fi
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
exit "$status"
