# Sourced by the other scripts: the build environment scripts/setup.sh prepared.
# fltk-sys looks for `cmake` on PATH and the cmake crate reads CMAKE; both must be the new
# enough one when the system's is too old.
private="${XDG_CACHE_HOME:-$HOME/.cache}/lanchat"
if [ -x "$private/bin/cmake" ]; then
  export PATH="$private/bin:$PATH"
  export CMAKE="$private/bin/cmake"
fi
