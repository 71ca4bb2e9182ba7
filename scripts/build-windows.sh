#!/usr/bin/env bash
# Cross-builds lanchat.exe for 64-bit Windows (x86_64-pc-windows-gnu) on Debian/Ubuntu.
#
#   scripts/build-windows.sh                 # release lanchat.exe; prints its path last
#   scripts/build-windows.sh check           # any cargo subcommand and arguments, run for the
#   scripts/build-windows.sh clippy -- -D warnings   # Windows target with this toolchain
#
# rustup cannot fetch the Windows standard library from this network, and Debian's prebuilt
# one (libstd-rust-dev-windows) is Rust 1.63, older than the locked dependencies allow. So
# the standard library is compiled from source along with lanchat (cargo's -Zbuild-std):
#   - rustc, its host standard library and the std sources come from Debian's security
#     archive (rustc-web, libstd-rust-web-dev, rust-web-src, libllvm22, rust-web-clippy),
#     downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into a private
#     folder (nothing is installed into /usr): ~/.cache/lanchat/windows/rustc-VERSION;
#   - cargo is the one already on PATH (rustup's); RUSTC_BOOTSTRAP=1 lets it and rustc take
#     -Zbuild-std (the same switch scripts/fuzz.sh uses for cargo-fuzz);
#   - the MinGW-w64 cross compilers (gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64, apt) link
#     the .exe and build FLTK's C++ and SQLite's C.
# Build outputs go to ~/.cache/lanchat/windows/target (LANCHAT_WINDOWS_TARGET_DIR overrides):
# outside the checkout, so a fresh clone (CI) reuses the compiled dependencies; cargo's own
# fingerprints decide what to rebuild. The .exe is built with the workspace's `dist` profile
# (release without debug info, stripped), like the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. scripts/env.sh

cache="${XDG_CACHE_HOME:-$HOME/.cache}/lanchat/windows"
target=x86_64-pc-windows-gnu
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

# --- system packages: the MinGW-w64 cross toolchain -------------------------------------
. scripts/apt.sh
need_apt gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 binutils-mingw-w64-x86-64

# --- rustc with the std sources, unpacked from Debian's packages ------------------------
# The newest rustc-web the archive offers, as long as it is new enough for Cargo.lock.
min_rust=1.89
rust_version() { apt-cache policy rustc-web 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
version=$(rust_version)
upstream=${version%%+*}
if [ -z "$version" ] || [ "$version" = "(none)" ] ||
  [ "$(printf '%s\n%s\n' "$min_rust" "$upstream" | sort -V | head -1)" != "$min_rust" ]; then
  $sudo_cmd apt-get update -qq
  version=$(rust_version)
  upstream=${version%%+*}
fi
if [ -z "$version" ] || [ "$version" = "(none)" ] ||
  [ "$(printf '%s\n%s\n' "$min_rust" "$upstream" | sort -V | head -1)" != "$min_rust" ]; then
  echo "build-windows: apt offers no rustc-web >= $min_rust (found '${version:-none}');" \
    "it comes from Debian 12's bookworm-security archive" >&2
  exit 1
fi
series=$(echo "$upstream" | cut -d. -f1,2)
toolchain="$cache/rustc-$version"
if [ ! -x "$toolchain/usr/bin/rustc" ]; then
  echo "build-windows: unpacking rustc $version from Debian's packages into $toolchain" >&2
  debs="$cache/debs-$version"
  mkdir -p "$debs"
  # libllvm's version is whatever libstd-rust-web depends on.
  llvm=$(apt-cache show "libstd-rust-web-$series=$version" | awk -F': ' '/^Depends:/ { print $2; exit }' |
    tr ',' '\n' | grep -oE 'libllvm[0-9]+' | head -1)
  (cd "$debs" && apt-get download -q "rustc-web=$version" "libstd-rust-web-$series=$version" \
    "libstd-rust-web-dev=$version" "rust-web-src=$version" "rust-web-clippy=$version" "$llvm" 2>&1 |
    grep -v '^W: Download is performed unsandboxed' >&2 || true)
  rm -rf "$toolchain.tmp"
  mkdir -p "$toolchain.tmp"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$toolchain.tmp"; done
  # Only library/ of the sources is needed (-Zbuild-std); the rest is 370 MB of compiler.
  src="$toolchain.tmp/usr/src/rustc-$upstream"
  rm -rf "$src/src" "$src/compiler" "$toolchain.tmp/usr/share/doc" "$toolchain.tmp/usr/libexec"
  test -f "$src/library/Cargo.lock" && test -x "$toolchain.tmp/usr/bin/rustc"
  mv "$toolchain.tmp" "$toolchain"
  rm -rf "$debs"
fi

export RUSTC="$toolchain/usr/bin/rustc"
export LD_LIBRARY_PATH="$toolchain/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${LANCHAT_WINDOWS_TARGET_DIR:-$cache/target}"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
build_std=(-Zbuild-std=std,panic_abort --target "$target" --locked)

if [ $# -gt 0 ]; then
  sub=$1
  shift
  if [ "$sub" = clippy ]; then
    # Debian's clippy matches Debian's rustc (rustup's would not); it runs the cargo on PATH.
    exec "$toolchain/usr/bin/cargo-clippy" clippy "${build_std[@]}" "$@"
  fi
  exec cargo "$sub" "${build_std[@]}" "$@"
fi

cargo build --profile dist -p lanchat "${build_std[@]}" >&2
exe="$CARGO_TARGET_DIR/$target/dist/lanchat.exe"
mkdir -p "$root/target/windows"
cp "$exe" "$root/target/windows/lanchat.exe"
echo "$root/target/windows/lanchat.exe"
