#!/usr/bin/env bash
# The Windows smoke test (part of scripts/test.sh): cross-builds lanchat.exe
# (scripts/build-windows.sh) and runs it under Wine against the Linux build, inside two
# network namespaces this script makes and removes (one veth link; nothing else is reachable):
#   - a Windows coordinator with Linux clients (discovery, pinning, register, chat both ways,
#     a relayed file, verified);
#   - a Windows `lanchat cli` with a Linux coordinator (the same, files both ways, direct).
# See scripts/wine/smoke.py for the steps.
#
#   scripts/test-windows.sh                     # build + smoke test
#   scripts/test-windows.sh --screenshot FILE   # also a PNG of the GUI's login window (Xvfb)
#
# Without Wine or network namespaces it prints a SKIPPED line and exits 0.
#
# What is Wine's and not lanchat's stays here, applied to a copy of the .exe:
#   - Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Rust's std imports: a stand-in
#     built from scripts/wine/bcryptprimitives.c goes next to the copy;
#   - Wine 8 refuses two socket options quinn-udp sets on every socket (real Windows takes
#     them): the copy imports scripts/wine/ws2shim.c's DLL instead of ws2_32.dll.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. scripts/env.sh

screenshot=""
while [ $# -gt 0 ]; do
  case $1 in
    --screenshot) screenshot=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 [--screenshot FILE.png]" >&2; exit 2 ;;
  esac
done

. scripts/wine/prefix.sh
if ! wine_available; then
  echo "SKIPPED the Windows smoke test under Wine: $wine_skip_reason"
  exit 0
fi

started=$(date +%s)
exe=$(scripts/build-windows.sh)
built=$(date +%s)
echo "test-windows: lanchat.exe built in $((built - started)) s ($(du -h "$exe" | cut -f1))"

# The Linux side: the workspace's debug build (what `cargo test` just built).
cargo build -p lanchat --locked --quiet
linux_bin="${CARGO_TARGET_DIR:-$root/target}/debug/lanchat"
[ -x "$linux_bin" ] || { echo "test-windows: no Linux build at $linux_bin" >&2; exit 1; }

wine_prefix_for_run
win_ns=$WINE_NS
lin_ns="${WINE_NS}l"
cleanup() {
  ip netns del "$lin_ns" 2>/dev/null || true
  [ -n "${LANCHAT_KEEP_WINE:-}" ] || wine_cleanup
}
trap cleanup EXIT

# --- the test copy of lanchat.exe with Wine's stand-ins --------------------------------
app="$WINE_RUN/app"
wine_test_copy "$exe" "$app"

# --- two machines on one link ------------------------------------------------------------
subnet="10.198.$((RANDOM % 250))"
win_addr="$subnet.1"
lin_addr="$subnet.2"
ip netns add "$lin_ns"
ip -n "$lin_ns" link set lo up
ip -n "$win_ns" link add eth0 type veth peer name eth0 netns "$lin_ns"
ip -n "$win_ns" addr add "$win_addr/24" dev eth0
ip -n "$lin_ns" addr add "$lin_addr/24" dev eth0
ip -n "$win_ns" link set eth0 up
ip -n "$lin_ns" link set eth0 up

# `run-lanchat ARGS`: the test copy under Wine, inside the Windows machine's namespace.
cat >"$WINE_RUN/run-lanchat" <<EOF
#!/usr/bin/env bash
exec ip netns exec "$win_ns" env -u DISPLAY WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all \\
  WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" wine "$app/lanchat.exe" "\$@"
EOF
chmod +x "$WINE_RUN/run-lanchat"

python3 scripts/wine/smoke.py --wine-run "$WINE_RUN/run-lanchat" --linux-bin "$linux_bin" \
  --lin-ns "$lin_ns" --win-addr "$win_addr" --lin-addr "$lin_addr" --work "$WINE_RUN/work"

# The GUI's login window under Wine, for the README: Wine's own virtual desktop (Windows
# title bar and frame) on Xvfb, a Linux coordinator on the other machine to find.
take_screenshot() {
  local display=":$((90 + RANDOM % 100))" size=500x540 realm="wine screenshot"
  Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp &
  local xvfb=$!
  ip netns exec "$lin_ns" "$linux_bin" coordinator --data "$WINE_RUN/shot-coordinator" \
    --listen "$lin_addr:0" --name office-server --iface "$lin_addr" --realm "$realm" \
    >/dev/null 2>&1 &
  local coordinator=$!
  ip netns exec "$win_ns" env DISPLAY="$display" WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all \
    WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" LANCHAT_UI_TRACE=1 \
    wine explorer "/desktop=lanchat,$size" "$app/lanchat.exe" gui --iface "$win_addr" \
    --realm "$realm" --data "Z:$(tr / '\\' <<<"$WINE_RUN/shot-client")" 2>"$WINE_RUN/gui.trace" &
  local gui=$!
  local waited=0
  until grep -qs "login-status Coordinator 'office-server'" "$WINE_RUN/gui.trace"; do
    sleep 1
    waited=$((waited + 1))
    if [ $waited -gt 90 ]; then
      echo "test-windows: the GUI under Wine never showed the coordinator; trace:" >&2
      tail -20 "$WINE_RUN/gui.trace" >&2
      kill "$gui" "$coordinator" "$xvfb" 2>/dev/null || true
      return 1
    fi
  done
  sleep 2 # let the window paint
  import -display "$display" -window root "$screenshot"
  kill "$gui" "$coordinator" 2>/dev/null || true
  wine_wait_exit_or_kill
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" "$coordinator" 2>/dev/null || true
  echo "test-windows: screenshot $screenshot"
}
if [ -n "$screenshot" ]; then
  take_screenshot
fi
echo "test-windows: passed (build $((built - started)) s, smoke test $(($(date +%s) - built)) s)"
