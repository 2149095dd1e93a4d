#!/usr/bin/env bash
# Issue 26: what PgBouncer saves its clients, on the running lab (make lab,
# with inventories/lab/group_vars/all/20-applications.yml: PgBouncer on,
# user app, database app). Side by side in one run, the same pgbench (the
# real client, -c 8 -j 2, user app, sslmode=verify-full through the
# balancer VIP) through PgBouncer and through HAProxy's primary port at once:
#   1. ROUNDS (default 5) planned switchovers (playbooks/switchover.yml, which
#      pauses PgBouncer), each onto the replica that does not hold the
#      balancer VIP: failed transactions, aborted clients, the slowest
#      transaction (pgbench's own per-transaction log);
#   2. steady state, pgbench -S (selects) for 20 s through each door one
#      after the other: mean latency per transaction, the pooler's added
#      latency = PgBouncer - HAProxy;
#   3. a hard failover: the leader's container killed (docker kill) under the
#      same load, then started again.
# Prints the figures and writes benchmarks/results/pooler.json.
#   benchmarks/pooler.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
rounds="${ROUNDS:-5}"
inv=inventories/lab/hosts.yml
work="$(mktemp -d /tmp/pgha-pooler.XXXXXX)"
results=()
# Addresses, ports and the credentials directory as the roles derive them.
ansible-playbook -i "$inv" benchmarks/lab_facts.yml -e "out=$work/lab.json" >/dev/null
fact() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/lab.json" "$1"; }
creds="$(fact credentials)"
vip="$(fact vip)"
bouncer_port="$(fact pgbouncer_port)"
primary_port="$(fact primary_port)"
api_url="$(fact api_url)"
conn="sslmode=verify-full sslrootcert=$creds/tls/ca.crt connect_timeout=5 host=$vip dbname=app user=app"
export PGPASSWORD="$(cat "$creds/user_app")"

members() {  # name host address, one member per line, from the inventory
  ansible-inventory -i "$inv" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
for host in inv["postgres"]["hosts"]:
    hv = inv["_meta"]["hostvars"][host]
    print(hv.get("pgha_member_name", host), host, hv["pgha_address"])'
}
leader() {  # the leader's member name (Patroni REST of the first member)
  curl -fsS --cacert "$creds/tls/ca.crt" "$api_url/cluster" \
    | python3 -c 'import json, sys; print(next(m["name"] for m in json.load(sys.stdin)["members"] if m["role"] == "leader"))'
}
vip_holder() {  # the container that holds the balancer VIP
  for h in $(members | awk '{print $2}'); do
    docker exec "$h" ip -o -4 address show dev eth0 | grep -q " $vip/" && echo "$h"
  done
}
figures() {  # figures DOOR: processed failed aborted max_ms from pgbench's output and log
  local door="$1"
  local processed failed aborted max_us
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/$door.out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$door.out")
  aborted=$(grep -oE 'client [0-9]+ (script [0-9]+ )?aborted' "$work/$door.out" | awk '{print $2}' | sort -u | wc -l)
  max_us=$(cat "$work/$door".[0-9]* 2>/dev/null | awk 'BEGIN {m = 0} $3 > m {m = $3} END {print m}')
  rm -f "$work/$door".[0-9]*
  echo "\"processed\": ${processed:-0}, \"failed\": ${failed:-0}, \"aborted_clients\": ${aborted}, \"max_latency_ms\": $(( max_us / 1000 ))"
}
under_load() {  # under_load LABEL COMMAND...: pgbench through both doors for 30 s, COMMAND after 8 s
  local label="$1"; shift
  (cd "$work" && pgbench -n -c 8 -j 2 -T 30 -l --log-prefix=bouncer "$conn port=$bouncer_port" >bouncer.out 2>&1) &
  local b=$!
  (cd "$work" && pgbench -n -c 8 -j 2 -T 30 -l --log-prefix=direct "$conn port=$primary_port" >direct.out 2>&1) &
  local d=$!
  sleep 8
  "$@" >"$work/$label.log" 2>&1 || echo "bench: $label: the command failed, see $work/$label.log" >&2
  wait "$b" || true
  wait "$d" || true
  local line="{\"event\": \"$label\", \"pgbouncer\": {$(figures bouncer)}, \"haproxy\": {$(figures direct)}}"
  echo "$line"
  results+=("$line")
}
switch() {  # onto the replica that does not hold the balancer VIP
  local holder candidate
  holder=$(vip_holder)
  candidate=$(members | awk -v l="$(leader)" -v h="$holder" '$1 != l && $2 != h {print $1; exit}')
  ansible-playbook -i "$inv" pgha.patroni.switchover -e "candidate=$candidate"
}
kill_leader() {
  local host
  host=$(members | awk -v l="$(leader)" '$1 == l {print $2}')
  docker kill "$host"
  sleep 20
  docker start "$host"
}

pgbench -i -q -s 1 "$conn port=$primary_port" >/dev/null 2>&1
for i in $(seq 1 "$rounds"); do
  under_load "switchover $i" switch
  sleep 5
done
for door in bouncer direct; do
  port=$primary_port; [ "$door" = bouncer ] && port=$bouncer_port
  pgbench -n -S -c 8 -j 2 -T 20 "$conn port=$port" >"$work/select.$door" 2>&1
done
mean() { sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/select.$1"; }
steady="{\"event\": \"steady state, pgbench -S\", \"pgbouncer_ms\": $(mean bouncer), \"haproxy_ms\": $(mean direct), \"added_ms\": $(python3 -c "print(round($(mean bouncer) - $(mean direct), 3))")}"
echo "$steady"
results+=("$steady")
under_load "failover (leader killed)" kill_leader
# the killed member back as a replica before the lab is used again
for _ in $(seq 1 60); do
  [ "$(curl -fsS --cacert "$creds/tls/ca.crt" "$api_url/cluster" \
      | python3 -c 'import json, sys; print(sum(m["state"] in ("running", "streaming") for m in json.load(sys.stdin)["members"]))')" = 3 ] && break
  sleep 2
done
mkdir -p benchmarks/results
(IFS=,; echo "[${results[*]}]") | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=1))' \
  >benchmarks/results/pooler.json
echo "bench: wrote benchmarks/results/pooler.json"
