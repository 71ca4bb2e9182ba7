#!/usr/bin/env bash
# The launch command: installs what is missing, builds lanchat (release) and runs it with the
# given arguments. With no arguments it opens the desktop GUI; `scripts/lanchat.sh cli
# --register --user NAME` starts the terminal client.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked -p lanchat
exec target/release/lanchat "$@"
