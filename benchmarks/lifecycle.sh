#!/usr/bin/env bash
# Issue 14's figures: the lifecycle scenario (molecule/lifecycle) end to end
# on fresh containers, under the drills' write load. Prints each step's wall
# time, the longest write gap per path inside each step (the primary port of the
# balancer VIP: "front"; the leader VIP: "vip") and the acknowledged writes
# lost, and writes benchmarks/results/lifecycle.json. The target of the
# rolling upgrade (step rebuild): a gap through the primary port of at most the
# switchover gap (benchmarks/results/switchover_drills_tls.json) + 0.5 s.
#   benchmarks/lifecycle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
export PGHA_CACHE_DIR="${PGHA_CACHE_DIR:-$HOME/.cache/pgha.patroni}"
mkdir -p benchmarks/results
start=$(date +%s)
molecule destroy -s lifecycle >/dev/null
molecule create -s lifecycle >/dev/null
molecule converge -s lifecycle >/dev/null
converged=$(date +%s)
summary=$(mktemp)
PGHA_LIFECYCLE_RESULTS="$summary" molecule verify -s lifecycle >/dev/null
end=$(date +%s)
python3 - "$summary" "$((converged - start))" "$((end - converged))" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["converge_s"], s["verify_s"] = int(sys.argv[2]), int(sys.argv[3])
ref = json.load(open("benchmarks/results/switchover_drills_tls.json"))
print(f"{'step':<10}{'wall s':>8}{'gap front s':>13}{'gap VIP s':>11}")
for step, wall in s["steps_s"].items():
    print(f"{step:<10}{wall:>8.1f}{s['write_gap_s']['front'].get(step, 0):>13.2f}{s['write_gap_s']['vip'].get(step, 0):>11.2f}")
print(f"acknowledged writes: {s['acked']}, lost: {s['acked_lost']}; converge {s['converge_s']} s, verify {s['verify_s']} s")
s["switchover_write_gap_s"] = ref["tls_on"]["write_gap_s"]
gap, target = s["write_gap_s"]["front"].get("rebuild", 0), ref["tls_on"]["write_gap_s"]["median"] + 0.5
print(f"rolling rebuild gap through the front door {gap:.2f} s; target (switchover median + 0.5 s) {target:.2f} s: "
      + ("met" if gap <= target else "MISSED"))
json.dump(s, open("benchmarks/results/lifecycle.json", "w"), indent=2)
PY
molecule destroy -s lifecycle >/dev/null
