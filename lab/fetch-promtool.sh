#!/usr/bin/env bash
# promtool, Prometheus's own checker, for `make rules`: taken from the
# distribution's prometheus package (apt verifies it against the signed
# index) and unpacked into the controller cache; nothing is installed and no
# Prometheus server runs. Skipped when it is there.
set -euo pipefail
cache="${PGHA_CACHE_DIR:-$HOME/.cache/pgha.patroni}/tools"
promtool="${cache}/promtool"
if [ -x "${promtool}" ] && "${promtool}" --version >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "${cache}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cd "${work}"
apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download prometheus >/dev/null 2>&1; }
dpkg-deb -x prometheus_*.deb unpacked
install -m 0755 unpacked/usr/bin/promtool "${promtool}"
echo "lab: ${promtool} from $(basename prometheus_*.deb)"
