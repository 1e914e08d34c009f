#!/usr/bin/env bash
# Builds native/ (addons, shim, runtime CLI) with node-gyp against the local Node headers.
# Quick when nothing changed: configure runs only when binding.gyp or the set of source files changed,
# and make rebuilds only what is out of date.
set -euo pipefail
cd "$(dirname "$0")/../native"
args=()
# Node's own headers ship with the machine's Node; no download is ever needed.
for dir in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
  if [ -f "$dir/include/node/node_api.h" ]; then args+=(--nodedir="$dir"); break; fi
done
mkdir -p build
gyp=../node_modules/.bin/node-gyp
sources=$(ls src/core/*.c src/addon/*.cc src/net/*.c src/net/*.cc shim/*.c runtime-cli/*.c unpack/*.c 2>/dev/null | sort | tr '\n' ' ' || true)
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ] || [ "$(cat build/.sources 2>/dev/null)" != "$sources" ]; then
  "$gyp" configure "${args[@]}" >/dev/null 2>build/.configure.log || { cat build/.configure.log >&2; exit 1; }
  echo "$sources" > build/.sources
fi
"$gyp" build "${args[@]}" -j 2 >build/.build.log 2>&1 || { grep -v '^gyp info' build/.build.log >&2; exit 1; }
echo "native: built $(cd build/Release && ls *.node tsstack-* 2>/dev/null | tr '\n' ' ')"
