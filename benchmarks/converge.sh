#!/usr/bin/env bash
# Converge time of the lab, over SSH (how the lab and production hosts are
# reached) and over the docker connection, side by side in one run: for each
# connection, fresh containers, a fresh converge of site.yml, then a re-run
# (must report changed=0). Prints a table and writes
# benchmarks/results/converge.json with the load average it ran under.
#   benchmarks/converge.sh              (uses the cached PostgreSQL build if present)
#   PGHA_COLD=1 benchmarks/converge.sh  (drops the cached build first: the SSH
#                                        converge then builds PostgreSQL)
#   PGHA_CONNECTIONS=ssh benchmarks/converge.sh   (one connection only)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
export PGHA_CACHE_DIR="${PGHA_CACHE_DIR:-$HOME/.cache/pgha.patroni}"
connections="${PGHA_CONNECTIONS:-ssh docker}"
mkdir -p benchmarks/results
log="$(mktemp -d)"
[ "${PGHA_COLD:-0}" = 1 ] && rm -rf "${PGHA_CACHE_DIR}/packages"

# The docker connection: the lab inventory with host_vars that reach each
# container through `docker exec` as root instead of SSH.
docker_inv="${log}/docker-inventory"
mkdir -p "${docker_inv}/host_vars"
cp inventories/lab/hosts.yml "${docker_inv}/hosts.yml"
ln -s "$PWD/inventories/lab/group_vars" "${docker_inv}/group_vars"
for f in inventories/lab/host_vars/*.yml; do
  h="$(basename "$f" .yml)"
  { grep '^pgha_address:' "$f"; printf 'ansible_connection: community.docker.docker\nansible_host: %s\nansible_user: root\n' "$h"; } \
    > "${docker_inv}/host_vars/${h}.yml"
done

now() { date +%s.%N; }
recap() {  # total of one counter over the lab hosts of a log's recap
  sed -n '/PLAY RECAP/,$p' "$1" | grep -E '^pg[0-9]+ +:' | grep -oE "$2=[0-9]+" | cut -d= -f2 | paste -sd+ | bc
}

results="${log}/results.txt"
: > "${results}"
for conn in ${connections}; do
  inv=inventories/lab/hosts.yml
  [ "${conn}" = docker ] && inv="${docker_inv}/hosts.yml"
  molecule destroy -s default >/dev/null 2>&1
  t0=$(now); molecule create -s default >"${log}/${conn}-create.log" 2>&1; t1=$(now)
  ansible-playbook -i "${inv}" site.yml >"${log}/${conn}-converge.log" 2>&1; t2=$(now)
  ansible-playbook -i "${inv}" site.yml >"${log}/${conn}-rerun.log" 2>&1; t3=$(now)
  build=$(grep -E 'postgresql : Compile -+ [0-9.]+s$' "${log}/${conn}-converge.log" | grep -oE '[0-9.]+s$' | tr -d s | head -n1 || true)
  echo "${conn} $t0 $t1 $t2 $t3 $(recap "${log}/${conn}-converge.log" changed) $(recap "${log}/${conn}-rerun.log" changed)" \
       "$(grep -c '^TASK \[' "${log}/${conn}-rerun.log") $(recap "${log}/${conn}-rerun.log" ok) $(recap "${log}/${conn}-rerun.log" skipped) ${build:-0}" >> "${results}"
done

python3 - "${results}" "${PGHA_COLD:-0}" <<'PY'
import json, os, sys
rows = {}
for line in open(sys.argv[1]):
    c, t0, t1, t2, t3, ch1, ch2, tasks, ok, skipped, build = line.split()
    t0, t1, t2, t3 = map(float, (t0, t1, t2, t3))
    rows[c] = {"create_and_prepare_s": round(t1 - t0, 1), "fresh_converge_s": round(t2 - t1, 1),
               "rerun_s": round(t3 - t2, 1), "changed_fresh": int(ch1), "changed_rerun": int(ch2),
               "rerun_tasks": int(tasks), "rerun_host_tasks_ok": int(ok), "rerun_host_tasks_skipped": int(skipped),
               "compile_s": float(build)}
res = {"connections": rows, "cold_build_cache": sys.argv[2] == "1", "loadavg_1m_at_end": os.getloadavg()[0],
       "cores": os.cpu_count()}
names = list(rows)
print(f"{'measure':<28}" + "".join(f"{n:>12}" for n in names))
for k in ("create_and_prepare_s", "fresh_converge_s", "rerun_s", "changed_fresh", "changed_rerun",
          "rerun_tasks", "rerun_host_tasks_ok", "rerun_host_tasks_skipped", "compile_s"):
    print(f"{k:<28}" + "".join(f"{rows[n][k]:>12}" for n in names))
print(f"load average at the end: {res['loadavg_1m_at_end']:.2f} on {res['cores']} cores")
json.dump(res, open("benchmarks/results/converge.json", "w"), indent=2)
PY
echo "logs: ${log}"
