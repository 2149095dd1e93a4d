#!/usr/bin/env bash
# Make sure the drills lab (molecule scenario `drills`: containers d1-d3 on
# network pgha-drills 172.30.78.0/24) runs a cluster with a leader; create
# and converge it when it does not. benchmarks/drills.py runs it first and
# then waits until the cluster is whole.
#   benchmarks/drills_lab.sh            (reuse a running lab)
#   PGHA_FRESH=1 benchmarks/drills_lab.sh  (destroy and rebuild it first)
#   PGHA_FRESH=1 PGHA_CONVERGE_ARGS='-e pgha_tls=false' benchmarks/drills_lab.sh
#                                          (rebuild it with extra ansible-playbook arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"

# The members' REST URLs come from the scenario's inventory (tests/drills/patroni_lab.py).
if [ "${PGHA_FRESH:-0}" = 1 ] || ! python3 tests/drills/patroni_lab.py --scenario molecule/drills leader >/dev/null; then
  molecule destroy -s drills >&2
  molecule create -s drills >&2
  # shellcheck disable=SC2086  # word splitting of the extra arguments is wanted
  molecule converge -s drills -- ${PGHA_CONVERGE_ARGS:-} >&2
fi
