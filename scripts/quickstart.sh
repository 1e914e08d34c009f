#!/usr/bin/env bash
# The first command a new user runs: setup, then the example images, then the embedded control plane and
# examples/hello, then shows it answering.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tsstack=(node bin/tsstack.js)
echo
echo "quickstart: built tsstack $("${tsstack[@]}" --version)."
bash examples/build-images.sh
"${tsstack[@]}" up -d --wait -f examples/hello/stack.yml
"${tsstack[@]}" ps -p hello
echo
node -e 'fetch("http://127.0.0.1:8080/").then(async (r) => console.log(`quickstart: examples/hello answers on http://127.0.0.1:8080/ (HTTP ${r.status}): ${(await r.text()).match(/<title>(.*)<\/title>/)?.[1] ?? ""}`))' 
echo "quickstart: stop it with: npx tsstack down -p hello; stop the control plane with: npx tsstack system stop"
