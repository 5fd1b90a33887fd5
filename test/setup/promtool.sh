#!/usr/bin/env bash
# Prints the path of a promtool (Prometheus's own linter for /metrics), fetching one if need be.
# test/e2e/metrics-hygiene pipes the service's /metrics through it; .ci/run calls this first.
#
# Looks, in order, at $PROMTOOL, a promtool on the PATH, and the copy cached under .build/promtool.
# Otherwise unpacks Debian's prometheus package there without installing it: installing it would
# also start a Prometheus server, and the tests need only the linter.
#   test/setup/promtool.sh            prints the path (fetching when missing), exit 1 if it cannot
set -euo pipefail
cd "$(dirname "$0")/../.."

cache=.build/promtool
cached="$cache/usr/bin/promtool"

if [ -n "${PROMTOOL:-}" ]; then
  if [ -x "$PROMTOOL" ]; then echo "$PROMTOOL"; exit 0; fi
  echo "PROMTOOL is $PROMTOOL, which is not an executable file: point it at a promtool or unset it." >&2
  exit 1
fi
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
if [ -x "$cached" ]; then echo "$PWD/$cached"; exit 0; fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool is missing and this is not a Debian-like system: install Prometheus's promtool and set PROMTOOL to it." >&2
  exit 1
fi
echo "promtool is missing: unpacking Debian's prometheus package into $cache (not installing it)" >&2
rm -rf "$cache"
mkdir -p "$cache/download"
# apt-get download needs the package lists; refresh them once if it cannot find the package.
if ! (cd "$cache/download" && apt-get download -q prometheus >&2); then
  if [ "$(id -u)" -eq 0 ]; then apt-get update -q >&2; else sudo -n apt-get update -q >&2; fi
  (cd "$cache/download" && apt-get download -q prometheus >&2)
fi
dpkg-deb -x "$cache"/download/prometheus_*.deb "$cache/unpacked"
mkdir -p "$(dirname "$cached")"
mv "$cache/unpacked/usr/bin/promtool" "$cached"
rm -rf "$cache/download" "$cache/unpacked"
"$cached" --version >/dev/null
echo "$PWD/$cached"
