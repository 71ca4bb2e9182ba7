#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, keeping the corpus in fuzz/corpus/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); nightly features come from RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in frame beacon file_name markup; do
  mkdir -p "corpus/$target"
  if ! cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=1024 >"$log" 2>&1; then
    # libFuzzer exits non-zero on a crash and cargo fuzz leaves the input in artifacts/.
    grep -E "panicked|SUMMARY|ERROR" "$log" | head -5 >&2 || tail -20 "$log" >&2
    echo "fuzz: $target failed; inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  echo "fuzz: $target: $(grep -E '^Done [0-9]+ runs' "$log" || echo 'ran') (${seconds}s)"
done
