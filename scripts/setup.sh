#!/usr/bin/env bash
# Installs what building and testing lanchat needs on Debian/Ubuntu, and nothing when it is
# already there. Run as root or with sudo available.
#
# The GUI builds FLTK from source (fltk-sys): a C++ toolchain, the X11 development headers
# (Xft renders UTF-8 text, so pango is not needed: the crate uses fltk's no-pango feature)
# and CMake >= 3.28, newer than Debian 12's. When the system CMake is older, a CMake from
# PyPI is installed into a private virtualenv (~/.cache/lanchat/cmake-venv) and linked as
# ~/.cache/lanchat/bin/cmake; scripts/env.sh puts it first on PATH. The GUI test needs a
# virtual X server (xvfb), xdotool, imagemagick (screenshots) and a D-Bus daemon (a private
# session bus for the notification and tray checks), and python3-xlib (the test drops a file
# on the window as a file manager would).
set -euo pipefail

# One set-up at a time: two runs at once (parallel worktrees, a test run beside a build) race
# on apt's lock and on the CMake virtualenv, leaving a venv without pip.
private="${XDG_CACHE_HOME:-$HOME/.cache}/lanchat"
mkdir -p "$private"
exec 9>"$private/setup.lock"
flock 9

packages=(gcc g++ make pkg-config iproute2 iptables procps
  libx11-dev libxext-dev libxft-dev libxinerama-dev libxcursor-dev libxrender-dev libxfixes-dev
  fonts-dejavu-core python3 python3-venv xvfb xdotool imagemagick dbus python3-xlib)

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# CMake >= 3.28 for fltk-sys.
cmake_ok() {
  local v
  v=$("$1" --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1) || return 1
  [ -n "$v" ] && [ "$(printf '%s\n3.28\n' "$v" | sort -V | head -1)" = "3.28" ]
}
if ! cmake_ok "$private/bin/cmake" && ! cmake_ok "$(command -v cmake || echo none)"; then
  echo "setup: installing CMake from PyPI into $private/cmake-venv"
  python3 -m venv "$private/cmake-venv"
  "$private/cmake-venv/bin/pip" install --quiet --disable-pip-version-check cmake
  mkdir -p "$private/bin"
  ln -sf "$private/cmake-venv/bin/cmake" "$private/bin/cmake"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi
