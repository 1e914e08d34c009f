#!/usr/bin/env bash
# Brings a fresh Debian 12 machine (root, Node 20) to a built tsstack. Idempotent and quick when nothing is
# missing: apt runs only for packages not yet installed, npm ci only when the lockfile changed, and the
# builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime needs, build needs, and test/benchmark partners (peers only, never the implementation).
packages=(
  redis-server busybox-static nftables iproute2 kmod
  build-essential pkg-config libseccomp-dev libcap-dev libmnl-dev libjson-c-dev libarchive-dev nettle-dev
  docker-registry apache2-utils crun runc skopeo umoci zstd tmux python3
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian starts redis-server and docker-registry as services on install where an init system runs;
  # tsstack and its tests start their own, so keep the packaged ones from grabbing the default ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

stamp=node_modules/.tsstack-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
# `npx tsstack` and `tsstack` find the project's own bin.
ln -sf ../../bin/tsstack.js node_modules/.bin/tsstack

npm run --silent build
echo "setup: ready"
