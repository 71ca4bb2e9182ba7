#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, keeping the corpus in fuzz/corpus/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); nightly features come from RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
for target in frame beacon file_name; do
  mkdir -p "corpus/$target"
  echo "fuzz: $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=1024 2>&1 \
    | grep -E "^(#[0-9]+\s+DONE|Done|==|SUMMARY|thread)" || true
  # libFuzzer exits non-zero on a crash; cargo fuzz leaves the input in artifacts/.
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "fuzz: $target found a crash: $(ls artifacts/$target/crash-*)" >&2
    exit 1
  fi
done
