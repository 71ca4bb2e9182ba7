# Sourced by the Windows test scripts: Wine (Debian's wine/wine64) in a prefix of the run's
# own, inside a network namespace of the run's own.
#
#   wine_available          0 when Wine and namespaces can be used; else wine_skip_reason says
#                           why (the callers print it as a SKIPPED line)
#   wine_prefix_for_run     WINE_RUN (a temporary folder), WINEPREFIX (a linked copy of a prepared
#                           prefix kept in ~/.cache/lanchat/windows), WINE_NS (a namespace
#                           with only loopback up); all removed by wine_cleanup (an EXIT trap)
#   wine_netns_exec CMD...  CMD inside WINE_NS with the run's Wine environment
#   wine_wait_exit          waits until every Wine process of the run has exited
#   wine_test_copy EXE DIR  puts a copy of EXE into DIR that Wine 8 runs (see below)
#
# Wine's sockets are created by wineserver, so wineserver must start inside the namespace:
# the first wine command of a run is started there (wine_netns_exec), and every later one
# talks to that wineserver (through a Unix socket, which works across namespaces).
# Nothing here is part of lanchat: it only serves the tests.

wine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/lanchat/windows"

wine_available() {
  wine_skip_reason=""
  if [ "$(id -u)" -ne 0 ]; then
    wine_skip_reason="needs root for network namespaces"
    return 1
  fi
  # fonts-wine: the title bars' glyphs (Marlett) in the GUI's screenshot.
  if ! command -v wine >/dev/null 2>&1 || ! dpkg -s wine64 fonts-wine >/dev/null 2>&1; then
    echo "wine: installing wine, wine64 and fonts-wine" >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends wine wine64 fonts-wine >/dev/null; }; then
      wine_skip_reason="Wine (apt packages wine, wine64) cannot be installed"
      return 1
    fi
  fi
  local probe="lcwprobe$$"
  if ! ip netns add "$probe" 2>/dev/null; then
    wine_skip_reason="cannot create network namespaces (ip netns add)"
    return 1
  fi
  ip netns del "$probe"
  return 0
}

wine_env() {
  # No display (the GUI test sets DISPLAY itself), no debug chatter, no Mono/Gecko
  # installers on prefix creation, no crash dialogs.
  env -u DISPLAY WINEPREFIX="$WINEPREFIX" WINEDEBUG="${WINEDEBUG:--all}" \
    WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}" "$@"
}

wine_netns_exec() {
  ip netns exec "$WINE_NS" env WINEPREFIX="$WINEPREFIX" bash -c \
    "$(declare -f wine_env); wine_env \"\$@\"" wine_env "$@"
}

wine_wait_exit() {
  WINEPREFIX="$WINEPREFIX" wineserver -w
}

# Ends every Wine process of the run (of this prefix only).
wine_wait_exit_or_kill() {
  WINEPREFIX="$WINEPREFIX" wineserver -k 2>/dev/null || true
  WINEPREFIX="$WINEPREFIX" wineserver -w 2>/dev/null || true
}

# A prepared prefix, made once per Wine version (wineboot takes a while) and copied per run.
wine_template() {
  local version
  version=$(wine --version 2>/dev/null | tr -c 'A-Za-z0-9.\n-' '_')
  local tpl="$wine_cache/wine-prefix-$version"
  if [ ! -f "$tpl/.lanchat-ready" ]; then
    echo "wine: preparing a Wine prefix in $tpl (once)" >&2
    rm -rf "$tpl"
    mkdir -p "$tpl"
    local ns="lcwinit$$"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" env -u DISPLAY WINEPREFIX="$tpl" WINEDEBUG=-all \
      WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" wineboot --init >/dev/null 2>&1
    WINEPREFIX="$tpl" wineserver -w
    ip netns del "$ns"
    touch "$tpl/.lanchat-ready"
  fi
  echo "$tpl"
}

wine_cleanup() {
  [ -z "${LANCHAT_KEEP_WINE:-}" ] || return 0
  if [ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX" ]; then
    WINEPREFIX="$WINEPREFIX" wineserver -k 2>/dev/null || true
  fi
  [ -z "${WINE_NS:-}" ] || ip netns del "$WINE_NS" 2>/dev/null || true
  [ -z "${WINE_RUN:-}" ] || rm -rf "$WINE_RUN"
}

wine_prefix_for_run() {
  local tpl
  tpl=$(wine_template)
  WINE_RUN=$(mktemp -d /tmp/lanchat-wine.XXXXXX)
  WINE_NS="lcw$$x$RANDOM"
  trap wine_cleanup EXIT
  export WINEPREFIX="$WINE_RUN/prefix"
  # Hard links: instant, and safe because Wine replaces what it changes (the registry files
  # are written anew and renamed); those are copied anyway.
  cp -al "$tpl" "$WINEPREFIX"
  local reg
  for reg in "$WINEPREFIX"/*.reg; do cp --remove-destination "$tpl/$(basename "$reg")" "$reg"; done
  ip netns add "$WINE_NS"
  ip -n "$WINE_NS" link set lo up
}

# `wine_test_copy EXE DIR`: DIR/lanchat.exe, a copy of EXE that Wine 8 can run, with the
# stand-ins it needs beside it. What is Wine's and not lanchat's stays here:
#   - Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Rust's std imports
#     (rust-lang/rust#121337): a stand-in built from scripts/wine/bcryptprimitives.c;
#   - Wine 8 refuses two socket options quinn-udp sets on every socket (real Windows takes
#     them): the copy imports ws2_lc.dll (scripts/wine/ws2shim.c, every other function
#     forwarded to ws2_32.dll) instead of ws2_32.dll, a same-length name patched into it.
wine_test_copy() {
  local exe=$1 app=$2 here mingw=x86_64-w64-mingw32-gcc imports f
  here="$(dirname "${BASH_SOURCE[0]}")"
  mkdir -p "$app"
  cp "$exe" "$app/lanchat.exe"
  $mingw -shared -O2 -o "$app/bcryptprimitives.dll" "$here/bcryptprimitives.c" \
    "$here/bcryptprimitives.def" -ladvapi32
  imports=$(x86_64-w64-mingw32-objdump -p "$app/lanchat.exe" |
    awk 'tolower($0) ~ /dll name: ws2_32\.dll/ { on = 1; next } /DLL Name:/ { on = 0 }
         on && NF == 3 && $1 ~ /^[0-9a-f]+$/ && $3 ~ /^[A-Za-z_][A-Za-z0-9_]*$/ { print $3 }' |
    sort -u)
  if [ -z "$imports" ]; then
    echo "wine: found no ws2_32 imports in lanchat.exe" >&2
    return 1
  fi
  {
    echo "LIBRARY ws2_lc"
    echo "EXPORTS"
    for f in $imports getsockopt setsockopt; do
      case $f in
        getsockopt | setsockopt) echo "    $f = shim_$f" ;;
        *) echo "    $f = ws2_32.$f" ;;
      esac
    done | sort -u
  } >"$app/ws2_lc.def"
  $mingw -shared -O2 -o "$app/ws2_lc.dll" "$here/ws2shim.c" "$app/ws2_lc.def" -lws2_32
  rm "$app/ws2_lc.def"
  python3 - "$app/lanchat.exe" <<'EOF'
import re, sys
path = sys.argv[1]
data = open(path, "rb").read()
patched, n = re.subn(rb"(?i)ws2_32\.dll", b"ws2_lc.dll", data)
if n == 0:
    sys.exit("wine: no ws2_32.dll import to redirect")
open(path, "wb").write(patched)
EOF
}
