#!/usr/bin/env bash
# The first command a new user runs: setup, then the embedded control plane, then examples/hello.
# It never pretends: each step that has not landed yet says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tsstack=(node bin/tsstack.js)
if "${tsstack[@]}" up --help 2>/dev/null | grep -q 'not built yet'; then
  echo
  echo "quickstart: built tsstack $("${tsstack[@]}" --version)."
  echo "quickstart: \`tsstack up\` is not built yet in this version, so examples/hello was not deployed."
  echo "quickstart: run \`npx tsstack --help\` to see the commands and which of them work today."
  exit 0
fi
bash examples/build-images.sh
"${tsstack[@]}" up -d --wait -f examples/hello/stack.yml
"${tsstack[@]}" ps -p hello
echo
echo "quickstart: examples/hello answers on http://127.0.0.1:8080/ (try: curl http://127.0.0.1:8080/)"
echo "quickstart: stop it with: npx tsstack down -p hello; stop the control plane with: npx tsstack system stop"
