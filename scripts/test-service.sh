#!/usr/bin/env bash
# Runs the packaged coordinator under its own hardened systemd unit:
#   scripts/test-service.sh SYSROOT      (SYSROOT: the .deb unpacked by scripts/package.sh)
#
# systemd need not be this machine's init: the test boots a throw-away systemd container
# (systemd-nspawn --volatile=yes: the host's /usr read-only, everything else a fresh tmpfs;
# its network is a namespace the test makes with only loopback up). In it the packaged unit
# file runs unchanged but for ExecStart (the packaged binary, loopback-only flags: the
# product's defaults would announce on every interface), so every sandbox setting is the
# package's. A `lanchat cli` then registers and sends a message through it; the test checks
# the acknowledgement, that the coordinator ran as a dynamic user with its state in
# /var/lib/private/lanchat, that `systemd-analyze security` scores the running unit <= 2.0,
# and that a stop is a clean exit. Where no container can be booted it prints a SKIPPED line
# (systemd-analyze verify and security --offline, run by scripts/package.sh, remain).
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=$1
. scripts/apt.sh

skip() {
  echo "SKIPPED running the hardened unit under systemd: $*" \
    "(the unit was checked with systemd-analyze verify and security --offline)"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root"
need_apt systemd-container || skip "systemd-nspawn (systemd-container) cannot be installed"

dir=$(mktemp -d /tmp/lanchat-service.XXXXXX)
ns="lcs$$x$RANDOM"
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
# Readable by the dynamic user the unit runs as.
chmod 0755 "$dir"
cp "$sysroot/usr/bin/lanchat" "$dir/lanchat"
unit="$sysroot/usr/lib/systemd/system/lanchat-coordinator.service"
port=$((20000 + RANDOM % 10000))
realm="service test $$"
flags="--iface 127.0.0.1 --ttl 0 --mcast-port $port --realm '$realm'"
cat >"$dir/test.conf" <<EOF
[Service]
ExecStart=
ExecStart=/run/svc/lanchat coordinator --data /var/lib/lanchat --listen 127.0.0.1:0 --name service-test $flags
EOF
cat >"$dir/inside.sh" <<EOF
#!/bin/sh
# Runs inside the container as its test unit, then powers it off.
out=/run/svc
systemctl start lanchat-coordinator.service
printf 'hello through the sandbox\n' | LANCHAT_PASSWORD='correct horse battery staple' \\
  timeout 60 /run/svc/lanchat cli --json --register --trust-first-contact --user servicetest \\
  --data /run/svc/client $flags >\$out/cli.out 2>\$out/cli.err
pid=\$(systemctl show -p MainPID --value lanchat-coordinator.service)
# (no awk: the container's /etc, where Debian's awk alternative lives, is empty)
echo "uid=\$(grep '^Uid:' /proc/\$pid/status | cut -f2)" >\$out/state
echo "state=\$(stat -c %U:%a /var/lib/private/lanchat 2>&1)" >>\$out/state
systemd-analyze security lanchat-coordinator.service >\$out/security 2>&1
systemctl stop lanchat-coordinator.service
systemctl show -p Result -p ExecMainStatus lanchat-coordinator.service >>\$out/state
journalctl -u lanchat-coordinator.service --no-pager >\$out/journal 2>&1
systemctl --no-block poweroff
EOF
chmod 0755 "$dir/inside.sh"
cat >"$dir/lanchat-service-test.service" <<'EOF'
[Unit]
Description=lanchat service test
[Service]
Type=oneshot
ExecStart=/run/svc/inside.sh
EOF

if ! timeout 180 systemd-nspawn -q -D / --volatile=yes --register=no --keep-unit \
  --network-namespace-path="/run/netns/$ns" --bind="$dir:/run/svc" \
  --bind-ro="$unit:/etc/systemd/system/lanchat-coordinator.service" \
  --bind-ro="$dir/test.conf:/etc/systemd/system/lanchat-coordinator.service.d/test.conf" \
  --bind-ro="$dir/lanchat-service-test.service:/etc/systemd/system/lanchat-service-test.service" \
  --boot -- systemd.unit=lanchat-service-test.service systemd.firstboot=off \
  >"$dir/boot.log" 2>&1; then
  if [ ! -f "$dir/state" ]; then
    tail -5 "$dir/boot.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
    skip "no systemd container could be booted here (systemd-nspawn failed)"
  fi
fi

fail() {
  echo "test-service FAILED: $*" >&2
  for f in state cli.out cli.err journal; do
    [ -f "$dir/$f" ] && { echo "--- $f" >&2; tail -15 "$dir/$f" >&2; }
  done
  exit 1
}
[ -f "$dir/state" ] || fail "the test unit did not run in the container"
grep -q '"type":"ack"' "$dir/cli.out" || fail "no acknowledged message through the sandboxed coordinator"
uid=$(sed -n 's/^uid=//p' "$dir/state")
# DynamicUser= picks from 61184-65519.
[ -n "$uid" ] && [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] || fail "not a dynamic user (uid $uid)"
grep -q '^state=.*:700$' "$dir/state" || fail "state directory not private"
grep -q '^Result=success' "$dir/state" || fail "the coordinator did not stop cleanly"
grep -q '^ExecMainStatus=0' "$dir/state" || fail "the coordinator exited non-zero"
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$dir/security")
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
  fail "systemd-analyze security scores the running unit '${score:-?}'"
echo "test-service: the packaged coordinator ran under its hardened unit in a systemd container" \
  "(dynamic user $uid, a message stored and acknowledged, clean stop; running unit's exposure $score)"
