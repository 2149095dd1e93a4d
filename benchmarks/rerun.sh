#!/usr/bin/env bash
# Issue 31, item 3: what a changed=0 re-run of site.yml costs on the running
# lab (make lab), beside ../shared/bench/noop.yml (ten no-op tasks on the
# three members) in the same run, so the figure is a ratio, not seconds of
# one machine. Each is run RUNS times (default 2); the faster run counts.
# Writes benchmarks/results/rerun.json: task_entries (the TASK headers the
# re-run prints), per-host results (ok, skipped), changed (must be 0), the
# wall times and noop_ratio = re-run / noop.
#   benchmarks/rerun.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
runs="${RUNS:-2}"
noop="${PGHA_NOOP:-../shared/bench/noop.yml}"
[ -f "$noop" ] || noop=benchmarks/noop.yml
log="$(mktemp -d)"
mkdir -p benchmarks/results
timed() {  # timed LOG COMMAND...: wall seconds of the command, its output in LOG
  local t0 log="$1"; shift
  t0=$(date +%s.%N)
  "$@" >"$log" 2>&1
  python3 -c "print(round($(date +%s.%N) - $t0, 2))"
}
best_noop=; best_rerun=
for i in $(seq 1 "$runs"); do
  n=$(timed "$log/noop.$i" ansible-playbook -i inventories/lab/hosts.yml "$noop")
  r=$(timed "$log/rerun.$i" ansible-playbook -i inventories/lab/hosts.yml site.yml)
  echo "run $i: noop.yml $n s, site.yml re-run $r s"
  best_noop=$(python3 -c "print(min(x for x in [$n, ${best_noop:-1e9}]))")
  best_rerun=$(python3 -c "print(min(x for x in [$r, ${best_rerun:-1e9}]))")
done
python3 - "$log/rerun.$runs" "$best_noop" "$best_rerun" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
noop, rerun = float(sys.argv[2]), float(sys.argv[3])
entries = len(re.findall(r"^TASK \[", text, re.M))
hosts = {m[0]: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[1])}
         for m in re.findall(r"^(\S+)\s+: (ok=.*)$", text.split("PLAY RECAP")[-1], re.M)}
changed = sum(h.get("changed", 0) for h in hosts.values())
r = {"task_entries": entries, "noop_s": noop, "rerun_s": rerun, "noop_ratio": round(rerun / noop, 1),
     "changed": changed, "hosts": {h: {"ok": v["ok"], "skipped": v["skipped"]} for h, v in hosts.items()}}
print(f"site.yml re-run: {entries} task entries, {rerun} s; noop.yml {noop} s; ratio {r['noop_ratio']}; changed={changed}")
for h, v in r["hosts"].items():
    print(f"  {h}: ok={v['ok']} skipped={v['skipped']}")
json.dump(r, open("benchmarks/results/rerun.json", "w"), indent=2)
open("benchmarks/results/rerun.json", "a").write("\n")
if changed:
    sys.exit("the re-run changed something: not a changed=0 re-run")
PY
