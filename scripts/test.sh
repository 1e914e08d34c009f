#!/usr/bin/env bash
# The whole check, as CI runs it: setup, typecheck, lint, then every jest project (unit + root integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: typecheck"; npx tsc -p tsconfig.json --noEmit
echo "test: lint"; npx eslint . && npx prettier --check . --log-level warn
echo "test: jest"
exec npx jest --ci "$@"
