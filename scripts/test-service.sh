#!/usr/bin/env bash
# Runs the packaged coordinator under its own hardened systemd unit, when this machine's
# systemd can: `scripts/test-service.sh SYSROOT` (SYSROOT: the .deb unpacked by
# scripts/package.sh --test).
#
# With systemd as PID 1, the unit's [Service] settings are applied to a transient unit
# (systemd-run) whose ExecStart is the packaged binary with loopback-only test flags (the
# product's defaults would announce on every interface); a `lanchat cli` then registers and
# sends a message through it. Without systemd as PID 1 (containers, sandboxes) nothing can run
# a unit: that is said in a SKIPPED line, and `systemd-analyze verify` and
# `systemd-analyze security --offline` (run by scripts/package.sh) are the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=$1
unit="$sysroot/usr/lib/systemd/system/lanchat-coordinator.service"

if [ ! -d /run/systemd/system ] || ! command -v systemd-run >/dev/null 2>&1; then
  echo "SKIPPED running the hardened unit under systemd: systemd is not PID 1 here" \
    "(the unit was checked with systemd-analyze verify and security --offline instead)"
  exit 0
fi

tag="lanchat-test-$$"
run_dir="/run/$tag"
mkdir -p "$run_dir"
# The unit's PrivateTmp hides /tmp: the binary goes where the sandbox still sees it.
cp "$sysroot/usr/bin/lanchat" "$run_dir/lanchat"
cleanup() {
  systemctl stop "$tag.service" 2>/dev/null || true
  systemctl reset-failed "$tag.service" 2>/dev/null || true
  rm -rf "$run_dir" "/var/lib/private/$tag" "/var/lib/$tag"
}
trap cleanup EXIT

# Every [Service] setting of the packaged unit, but where it runs and what it keeps.
props=()
while IFS= read -r line; do
  case $line in
    '' | '#'* | '['* | ExecStart=* | Restart=* | RestartSec=* | StateDirectory=*) ;;
    *) props+=(-p "$line") ;;
  esac
done < <(sed -n '/^\[Service\]/,/^\[/p' "$unit")
port=$((20000 + RANDOM % 10000))
realm="service test $$"
systemd-run --unit "$tag" --quiet "${props[@]}" -p "StateDirectory=$tag" \
  "$run_dir/lanchat" coordinator --data "/var/lib/$tag" --listen 127.0.0.1:0 --name "$tag" \
  --iface 127.0.0.1 --ttl 0 --mcast-port "$port" --realm "$realm"

out=$(mktemp)
printf 'hello from outside the sandbox\n' |
  LANCHAT_PASSWORD="correct horse battery staple" timeout 60 "$sysroot/usr/bin/lanchat" cli \
    --json --register --user servicetest --data "$run_dir/client" --iface 127.0.0.1 --ttl 0 \
    --mcast-port "$port" --realm "$realm" >"$out" || true
if ! grep -q '"type":"ack"' "$out"; then
  echo "test-service FAILED: no acknowledged message through the sandboxed coordinator" >&2
  cat "$out" >&2
  journalctl -u "$tag" --no-pager | tail -20 >&2
  exit 1
fi
rm -f "$out"
echo "test-service: the coordinator ran under its hardened unit (systemd-run) and stored a message"
