#!/usr/bin/env bash
# Issue 16: the asynchronous pause drill (drill 2a: the leader's container
# paused past a promotion, then unpaused) N times in a row on the drills lab,
# each run enforcing what CI enforces (nothing acknowledged through the primary port
# lost, no stale acknowledgement, no dual primary through the front doors).
# Prints one line per run and writes benchmarks/results/pause_loop.json.
#   benchmarks/pause_loop.sh        (10 runs)
#   benchmarks/pause_loop.sh 3
#   PGHA_ETCD_LEADER_ON_PRIMARY=1 benchmarks/pause_loop.sh
#       before each run, move the etcd leadership onto the PostgreSQL primary's
#       host (the combination behind the lost writes of the first loop);
#       pgha-etcd-leader-away must move it off again before the fault.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
runs=${1:-10}
benchmarks/drills_lab.sh
work=$(mktemp -d)
credentials=$(python3 tests/drills/patroni_lab.py --scenario molecule/drills credentials-dir)
# Move the etcd leadership onto member $1, with etcdctl inside it (its profile's endpoints and TLS,
# root's password on stdin into ETCDCTL_USER, never on a command line). Fails when it did not land.
etcd_leader_to() {
  docker exec -i "$1" bash -c '. /etc/profile.d/etcdctl.sh; IFS= read -r pw || true; export ETCDCTL_USER="root:$pw"
    eps=$ETCDCTL_ENDPOINTS; unset ETCDCTL_ENDPOINTS
    me=$(etcdctl --endpoints "${eps%%,*}" member list -w fields | awk -F" : " -v n="$(hostname)" \
      "/\"ID\"/{id=\$2} /\"Name\"/{gsub(/\"/,\"\",\$2); if (\$2==n) print id}")
    lead=$(etcdctl --endpoints "${eps%%,*}" endpoint status -w fields | awk -F" : " "/\"Leader\"/{print \$2; exit}")
    [ "$lead" = "$me" ] && exit 0
    # move-leader returns once the transfer is done (pgha-etcd-leader-away may move it away a second later)
    for ep in ${eps//,/ }; do etcdctl --endpoints "$ep" move-leader "$(printf %x "$me")" >/dev/null 2>&1 && exit 0; done
    exit 1' <"$credentials/etcd_root" || { echo "could not move the etcd leadership onto $1" >&2; exit 1; }
}
for i in $(seq 1 "$runs"); do
  if [ "${PGHA_ETCD_LEADER_ON_PRIMARY:-0}" = 1 ]; then
    etcd_leader_to "$(python3 tests/drills/patroni_lab.py --scenario molecule/drills leader)"
  fi
  start=$(date +%s.%N)
  rc=0
  PGHA_DRILLS=2a PGHA_DRILLS_RESULTS="$work/run$i" molecule verify -s drills >"$work/run$i.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  # A failed run keeps each member's etcd, Patroni and fence journal, so the cause can be read later.
  if [ "$rc" != 0 ]; then
    for m in $(docker ps --filter network=pgha-drills --format "{{.Names}}"); do
      docker exec "$m" journalctl -u etcd -u patroni -u pgha-fence -u pgha-etcd-leader-away -o short-precise --no-pager \
        --since "@${start%.*}" >"$work/run$i.$m.journal" 2>&1 || true
    done
  fi
  python3 - "$work/run$i" "$i" "$rc" "$start" "$end" <<'PY'
import json, sys
d, i, rc, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
# pgload's own result: written even when the drill's assertions fail (summary.json is not)
try:
    r = json.load(open(f"{d}/pause-async/result.json"))
except (OSError, ValueError):
    r = {}
w = r.get("writers", {})
line = {"run": i, "passed": rc == 0, "seconds": round(end - start, 1), "measured": bool(r),
        "final_leader": r.get("final_leader"),
        "front_acked": w.get("front", {}).get("acked"), "front_lost": w.get("front", {}).get("acked_lost"),
        "front_stale": w.get("front", {}).get("stale_acks", 0), "vip_lost": w.get("vip", {}).get("acked_lost"),
        "front_door_dual_s": r.get("dual_primary_front_doors_s"), "members_dual_s": r.get("dual_primary_members_s"),
        "front_recovery_s": w.get("front", {}).get("recovery_s")}
print(json.dumps(line), flush=True)
with open(f"{d}.line.json", "w") as f:
    json.dump(line, f)
PY
done
python3 - "$work" "$runs" <<'PY'
import json, sys
work, runs = sys.argv[1], int(sys.argv[2])
lines = [json.load(open(f"{work}/run{i}.line.json")) for i in range(1, runs + 1)]
res = {"drill": "pause-async (drill 2a)", "runs": runs, "passed": sum(l["passed"] for l in lines),
       "unmeasured": sum(not l["measured"] for l in lines),
       "front_lost_total": sum(l["front_lost"] or 0 for l in lines),
       "front_stale_total": sum(l["front_stale"] or 0 for l in lines), "rows": lines}
json.dump(res, open("benchmarks/results/pause_loop.json", "w"), indent=2)
print(f"pause-async: {res['passed']}/{runs} runs passed; acknowledged writes lost through the primary port: "
      f"{res['front_lost_total']}; stale acknowledgements: {res['front_stale_total']}; runs without a result: "
      f"{res['unmeasured']}")
PY
echo "logs: $work"
