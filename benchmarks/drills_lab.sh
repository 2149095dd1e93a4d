#!/usr/bin/env bash
# Make sure the drills lab (molecule scenario `drills`: containers d1-d3 on
# network pgha-drills 172.30.78.0/24) runs a healthy cluster; create and
# converge it when it does not. Prints the credentials directory on stdout.
#   benchmarks/drills_lab.sh            (reuse a running lab)
#   PGHA_FRESH=1 benchmarks/drills_lab.sh  (destroy and rebuild it first)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"

healthy() {
  python3 - <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen("http://172.30.78.11:8008/cluster", timeout=3) as r:
        members = json.load(r)["members"]
except OSError:
    sys.exit(1)
sys.exit(0 if len(members) == 3 and sum(m["role"] == "leader" for m in members) == 1 else 1)
PY
}

if [ "${PGHA_FRESH:-0}" = 1 ] || ! healthy; then
  molecule destroy -s drills >&2
  molecule create -s drills >&2
  molecule converge -s drills >&2
fi
echo "${PGHA_CACHE_DIR:-$HOME/.cache/pgha.patroni}/credentials/pgha-drills"
