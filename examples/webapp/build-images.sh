#!/usr/bin/env bash
# Builds the webapp example's extra image offline and imports it into tsstack's image store
# ($TSSTACK_IMAGE_ROOT or /var/lib/tsstack/images). Run examples/build-images.sh first for tsstack.local/hello:1.
#   tsstack.local/redis:7   Debian's redis-server + redis-cli with their shared libraries, busybox sh
# Online users would use the registry image `redis:7` instead (change `image:` in stack.yml).
set -euo pipefail
cd "$(dirname "$0")/../.."
for b in /usr/bin/redis-server /usr/bin/redis-cli /bin/busybox; do
  [ -x "$b" ] || { echo "webapp/build-images: $b is missing: apt-get install redis-server busybox-static" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,usr/bin,etc,tmp,data,proc,sys,dev}
cp /bin/busybox "$root/bin/busybox"
for applet in sh ls cat echo sleep env ps nc; do ln -s busybox "$root/bin/$applet"; done
cp /usr/bin/redis-server /usr/bin/redis-cli "$root/usr/bin/"
# every shared library the two binaries load, at the same path
for lib in $(ldd /usr/bin/redis-server /usr/bin/redis-cli | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/redis.tar" .
node bin/tsstack.js image import --rootfs "$work/redis.tar" tsstack.local/redis:7
echo "webapp/build-images: imported tsstack.local/redis:7"
