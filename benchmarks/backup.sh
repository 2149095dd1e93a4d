#!/usr/bin/env bash
# Issue 15's figures: backup and restore times of a generated dataset on the
# container lab (make lab: pg1-pg3 and the repository host bk1). pgbench -i
# at scale SCALE (default 100, about 1.5 GB) on the leader, then
#   - a full backup with playbooks/backup.yml,
#   - an incremental backup after 10% of the rows changed,
#   - playbooks/restore.yml -e target=latest: the whole cluster from the
#     repository (one member restores, a full backup of the new timeline,
#     two replicas restore from it),
# each timed end to end, with the database and repository sizes. Prints a
# table and writes benchmarks/results/backup.json. The lab keeps running.
#   benchmarks/backup.sh            # SCALE=20 benchmarks/backup.sh for a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
scale="${SCALE:-100}"
inv=(-i inventories/lab/hosts.yml)
mkdir -p benchmarks/results
leader=$(docker exec pg1 bash -lc "patronictl -c /etc/patroni/patroni.yml list -f json" \
         | python3 -c 'import json,sys; print([m["Member"] for m in json.load(sys.stdin) if m["Role"]=="Leader"][0])')
psql() { docker exec -u postgres "$leader" /usr/local/pgsql/bin/psql -X -At -h /run/postgresql -d postgres "$@"; }
timed() { local t0; t0=$(date +%s.%N); "$@" >/dev/null; python3 -c "import sys; print(round($(date +%s.%N) - $t0, 1))"; }

t0=$(date +%s.%N)
docker exec -u postgres "$leader" /usr/local/pgsql/bin/pgbench -q -i -s "$scale" -h /run/postgresql postgres >/dev/null 2>&1
init_s=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
db_bytes=$(psql -c "SELECT pg_database_size('postgres')")
full_s=$(timed ansible-playbook "${inv[@]}" playbooks/backup.yml -e type=full)
psql -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 10 = 0" >/dev/null
incr_s=$(timed ansible-playbook "${inv[@]}" playbooks/backup.yml -e type=incr)
restore_s=$(timed ansible-playbook "${inv[@]}" playbooks/restore.yml -e confirm=pgha-lab -e target=latest)
info=$(docker exec -u pgbackrest bk1 pgbackrest --stanza=pgha-lab --output=json info)
rows=$(docker exec -u postgres pg2 /usr/local/pgsql/bin/psql -X -At -h /run/postgresql -d postgres -c "SELECT count(*) FROM pgbench_accounts")
python3 - "$scale" "$init_s" "$db_bytes" "$full_s" "$incr_s" "$restore_s" "$rows" "$info" <<'PY'
import json, sys
scale, init_s, db, full_s, incr_s, restore_s, rows, info = sys.argv[1:]
backups = json.loads(info)[0]["backup"]
last = {b["type"]: b for b in backups}
mib = lambda n: round(int(n) / 1048576, 1)
r = {"scale": int(scale), "database_mib": mib(db), "pgbench_init_s": float(init_s),
     "full_backup_s": float(full_s), "full_backup_repo_mib": mib(last["full"]["info"]["repository"]["delta"]),
     "incr_backup_s": float(incr_s), "incr_backup_repo_mib": mib(last.get("incr", last["full"])["info"]["repository"]["delta"]),
     "restore_latest_s": float(restore_s), "rows_after_restore": int(rows), "rows_expected": int(scale) * 100000}
print(f"database {r['database_mib']} MiB (pgbench scale {scale}, init {r['pgbench_init_s']} s)")
print(f"full backup   {r['full_backup_s']:>7} s   {r['full_backup_repo_mib']} MiB in the repository")
print(f"incr backup   {r['incr_backup_s']:>7} s   {r['incr_backup_repo_mib']} MiB (10% of the rows changed)")
print(f"restore.yml -e target=latest  {r['restore_latest_s']} s (restore, recovery, full backup, two replicas)")
print(f"rows on a replica after the restore: {r['rows_after_restore']} of {r['rows_expected']}")
json.dump(r, open("benchmarks/results/backup.json", "w"), indent=2)
PY
