#!/usr/bin/env bash
# Builds the example images offline from Debian's busybox-static and imports them into tsstack's image
# store (`tsstack image import --rootfs`; the store is $TSSTACK_IMAGE_ROOT or /var/lib/tsstack/images).
#   tsstack.local/hello:1   busybox (sh, httpd, wget) + examples/hello/www as /www
set -euo pipefail
cd "$(dirname "$0")/.."
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list | grep -x httpd >/dev/null || {
  echo "build-images: $busybox with httpd is missing: apt-get install busybox-static" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,www,proc,sys,dev}
cp "$busybox" "$root/bin/busybox"
for applet in sh httpd wget ls cat echo sleep env ps; do ln -s busybox "$root/bin/$applet"; done
cp examples/hello/www/* "$root/www/"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/hello.tar" .
node bin/tsstack.js image import --rootfs "$work/hello.tar" tsstack.local/hello:1
echo "build-images: imported tsstack.local/hello:1"
