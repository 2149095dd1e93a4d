#!/usr/bin/env bash
# Converge time of the lab: site.yml from bare containers, then a re-run.
# Prints a table and writes benchmarks/results/converge.json.
#   benchmarks/converge.sh            (uses the cached PostgreSQL build if present)
#   PGHA_COLD=1 benchmarks/converge.sh  (drops the cached build first)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
cache="${PGHA_CACHE_DIR:-$HOME/.cache/pgha.patroni}"
mkdir -p benchmarks/results
log="$(mktemp -d)"

if [ "${PGHA_COLD:-0}" = 1 ]; then
  rm -rf "${cache}/packages"
fi

molecule destroy -s default >/dev/null 2>&1
rm -rf inventories/lab/credentials
t0=$(date +%s.%N)
molecule create -s default >"${log}/create.log" 2>&1
t1=$(date +%s.%N)
ansible-playbook -i inventories/lab/hosts.yml site.yml >"${log}/converge.log" 2>&1
t2=$(date +%s.%N)
ansible-playbook -i inventories/lab/hosts.yml site.yml >"${log}/rerun.log" 2>&1
t3=$(date +%s.%N)

changed_first=$(grep -E '^pg[0-9]+ +:' "${log}/converge.log" | grep -oE 'changed=[0-9]+' | cut -d= -f2 | paste -sd+ | bc)
changed_rerun=$(grep -E '^pg[0-9]+ +:' "${log}/rerun.log" | grep -oE 'changed=[0-9]+' | cut -d= -f2 | paste -sd+ | bc)
build_s=$(grep -E '^postgresql : Build' "${log}/converge.log" | grep -oE '[0-9.]+s$' | tr -d s | paste -sd+ | bc 2>/dev/null || echo 0)

python3 - "$t0" "$t1" "$t2" "$t3" "$changed_first" "$changed_rerun" "${build_s:-0}" "${PGHA_COLD:-0}" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
res = {
    "create_s": round(t1 - t0, 1),
    "converge_s": round(t2 - t1, 1),
    "rerun_s": round(t3 - t2, 1),
    "changed_first": int(sys.argv[5] or 0),
    "changed_rerun": int(sys.argv[6] or 0),
    "build_tasks_s": round(float(sys.argv[7] or 0), 1),
    "cold_build_cache": sys.argv[8] == "1",
}
print(f"{'step':<28}{'seconds':>10}")
for k in ("create_s", "converge_s", "rerun_s", "build_tasks_s"):
    print(f"{k:<28}{res[k]:>10}")
print(f"changed (first / re-run): {res['changed_first']} / {res['changed_rerun']}")
json.dump(res, open("benchmarks/results/converge.json", "w"), indent=2)
PY
echo "logs: ${log}"
