#!/usr/bin/env bash
# Print the Debian mirror this machine's own apt configuration uses
# (PGHA_MIRROR wins); never a hard-coded host.
set -euo pipefail
mirror="${PGHA_MIRROR:-}"
[ -n "${mirror}" ] || mirror="$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
[ -n "${mirror}" ] || mirror="$(grep -h -E '^deb ' /etc/apt/sources.list 2>/dev/null \
  | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
if [ -z "${mirror}" ]; then
  echo "lab: no Debian mirror found in /etc/apt; set PGHA_MIRROR" >&2
  exit 1
fi
echo "${mirror}"
