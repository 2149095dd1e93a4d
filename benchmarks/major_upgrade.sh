#!/usr/bin/env bash
# Issue 25's figures: the default lab (pg1-pg3, bk1) converged afresh on
# 15.18 from source, a full backup, then molecule/default/major_upgrade.yml
# with a pgbench data set of PGHA_UPGRADE_SCALE (100 by default, about
# 1.5 GB) under a write every 100 ms through the balancer's primary port
# and the leader VIP.
# Prints, from one run: the upgrade's wall time, the time the cluster was
# stopped (the playbook's own figure), the longest write gap per path, the
# acknowledged writes lost, and beside them the time pg_dumpall | psql of the
# same data into a scratch cluster of the new major takes. Writes
# benchmarks/results/major_upgrade.json. Target: writes back within 60 s.
#   benchmarks/major_upgrade.sh            (PGHA_UPGRADE_SCALE=10 for a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
export MOLECULE_PROJECT_DIRECTORY="$PWD" MOLECULE_SCENARIO_NAME=default
export PGHA_UPGRADE_SCALE="${PGHA_UPGRADE_SCALE:-100}"
export PGHA_UPGRADE_RESULTS="$PWD/benchmarks/results/major_upgrade.json"
mkdir -p benchmarks/results
molecule destroy -s default >/dev/null
make lab >/dev/null
ansible-playbook -i inventories/lab/hosts.yml playbooks/backup.yml >/dev/null
start=$(date +%s)
ansible-playbook -i inventories/lab/hosts.yml molecule/default/major_upgrade.yml >/dev/null
echo "molecule/default/major_upgrade.yml took $(( $(date +%s) - start )) s (refusal, way back, upgrade, second run)"
python3 - "$PGHA_UPGRADE_RESULTS" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"pgbench scale {f['pgbench_scale']} ({f['pgbench_accounts']} accounts)")
print(f"upgrade wall time {f['upgrade_wall_s']} s; cluster stopped {f['cluster_stopped_s']} s "
      f"(baseline pg_dumpall | psql of the same data: {f['pg_dumpall_psql_s']} s)")
for w, gap in f["write_gap_s"].items():
    print(f"longest write gap via {w}: {gap} s (target 60 s: {'met' if gap <= 60 else 'MISSED'}); "
          f"acknowledged {f['acked'][w]}, lost {f['acked_lost'][w]}")
PY
