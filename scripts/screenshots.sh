#!/usr/bin/env bash
# Remakes the README's screenshots (docs/screenshots/: login, login-trust, main, main-dark,
# main-warning, search, transfers) by running the GUI end-to-end test under Xvfb, which keeps
# its screenshots where LANCHAT_SCREENSHOTS says.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
LANCHAT_SCREENSHOTS="$PWD/docs/screenshots" \
  cargo test --locked -p lanchat --test e2e gui:: -- --nocapture
ls -l docs/screenshots
