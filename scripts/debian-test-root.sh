#!/usr/bin/env bash
# A minimal Debian 12 root for booting the agent's unit under a real systemd (test/deb/systemd-boot.test.ts).
#
# Built with debootstrap from the Debian mirror apt already uses on this machine (the first `deb`/URIs entry for
# the main archive in /etc/apt/sources.list{,.d/*}), and cached under $TRAFFIC_DEBIAN_ROOT_CACHE
# (default /var/cache/traffic-agent-test) keyed by suite, variant, package list and mirror: a cache hit costs nothing,
# a miss runs debootstrap (timed, printed on stderr). Prints the root's path on stdout. Root only.
set -euo pipefail
suite=bookworm
variant=minbase
include=systemd,systemd-sysv,dbus
cache=${TRAFFIC_DEBIAN_ROOT_CACHE:-/var/cache/traffic-agent-test}

mirror=''
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "$f" ] || continue
  mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -e /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "debian-test-root: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-test-root: debootstrap is missing (apt-get install -y debootstrap)" >&2; exit 1; }

key=$(printf '%s\n' "$suite" "$variant" "$include" "$mirror" | sha256sum | cut -c1-16)
root="$cache/debian-$suite-$key"
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -e "$root/.complete" ]; then
  rm -rf "$root.partial"
  start=$(date +%s)
  debootstrap --variant="$variant" --include="$include" "$suite" "$root.partial" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 ||
    { tail -n 30 "$cache/debootstrap-$key.log" >&2; exit 1; }
  rm -rf "$root"
  mv "$root.partial" "$root"
  touch "$root/.complete"
  echo "debian-test-root: debootstrap $suite ($variant, +$include) from $mirror took $(($(date +%s) - start)) s" >&2
fi
echo "$root"
