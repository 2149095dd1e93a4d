#!/usr/bin/env bash
# Start / stop a throw-away three-member Patroni cluster on loopback:
# etcd (Debian package), PostgreSQL 15 server binaries (Debian package),
# Patroni 4.1.5 from PyPI in a venv. Used by run.sh and benchmarks/.
#
#   cluster.sh install   install what is missing (root: apt; always: the venv)
#   cluster.sh start     start etcd and members m1..m3, wait for 1 leader + 2 streaming
#   cluster.sh stop      stop everything this script started, remove the data
#
# Members: m1 REST 127.0.0.1:8011 PG 5441, m2 8012/5442, m3 8013/5443 (tag nofailover).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PATRONI_VERSION="${PATRONI_VERSION:-4.1.5}"
PATRONI_VENV="${PATRONI_VENV:-$ROOT/.cache/patroni-venv}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# The venv must be usable by the postgres OS user: build it from the system Python.
PATRONI_PYTHON="${PATRONI_PYTHON:-/usr/bin/python3}"
BASE="${PGHA_IT_DIR:-/tmp/pgha-it}"
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
API_USER=patroni
API_PASSWORD="${PGHA_IT_API_PASSWORD:-it-api-secret-0123456789}"
SCOPE=pgha-it

log() { printf '[cluster] %s\n' "$*" >&2; }

run_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  local pkgs=()
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  [ -x "$PG_BIN/postgres" ] || pkgs+=(postgresql-15)
  command -v psql >/dev/null || pkgs+=(postgresql-client-15)
  "$PATRONI_PYTHON" -c 'import ensurepip' 2>/dev/null || pkgs+=(python3-venv)
  command -v curl >/dev/null || pkgs+=(curl)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "missing packages ${pkgs[*]}: run as root or install them"; exit 1; }
    log "apt-get install ${pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
  # Debian starts its own cluster and etcd where an init system runs; we use neither.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q ' online'; then
    log "stopping Debian's own PostgreSQL cluster(s)"
    pg_lsclusters -h | awk '$4 == "online" {print $1, $2}' | while read -r v c; do pg_ctlcluster "$v" "$c" stop || true; done
  fi
  if [ ! -x "$PATRONI_VENV/bin/patroni" ] || ! run_as_pg "$PATRONI_VENV/bin/patroni" --version 2>/dev/null | grep -q "$PATRONI_VERSION"; then
    log "creating $PATRONI_VENV with patroni $PATRONI_VERSION"
    rm -rf "$PATRONI_VENV"
    "$PATRONI_PYTHON" -m venv "$PATRONI_VENV"
    "$PATRONI_VENV/bin/pip" install -q "patroni[etcd3,psycopg3]==$PATRONI_VERSION"
  fi
}

member_conf() {  # name rest_port pg_port nofailover
  local n=$1 rp=$2 pp=$3 nf=$4 d="$BASE/$1"
  cat <<YAML
scope: $SCOPE
name: $n
log:
  dir: $d/log
  level: INFO
restapi:
  listen: 127.0.0.1:$rp
  connect_address: 127.0.0.1:$rp
  authentication:
    username: $API_USER
    password: $API_PASSWORD
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_PORT
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 100
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
  initdb:
    - encoding: UTF8
    - data-checksums
postgresql:
  listen: 127.0.0.1:$pp
  connect_address: 127.0.0.1:$pp
  data_dir: $d/data
  bin_dir: $PG_BIN
  pgpass: $d/pgpass
  authentication:
    superuser: {username: postgres, password: it-pg-secret}
    replication: {username: replicator, password: it-repl-secret}
    rewind: {username: rewinder, password: it-rewind-secret}
  parameters:
    unix_socket_directories: $d
    shared_buffers: 16MB
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
tags:
  nofailover: $nf
  noloadbalance: false
  clonefrom: false
YAML
}

api() { curl -fsS --max-time 3 "$@" 2>/dev/null; }

wait_healthy() {  # seconds
  local deadline=$((SECONDS + ${1:-120})) out
  while [ $SECONDS -lt $deadline ]; do
    out="$(api http://127.0.0.1:8011/cluster || true)"
    if [ -n "$out" ] && python3 - "$out" <<'PY'
import json, sys
members = json.loads(sys.argv[1]).get("members", [])
leaders = [m for m in members if m["role"] == "leader" and m["state"] == "running"]
streaming = [m for m in members if m["role"] != "leader" and m["state"] == "streaming"]
sys.exit(0 if len(leaders) == 1 and len(streaming) == 2 else 1)
PY
    then log "cluster healthy (1 leader, 2 streaming)"; return 0; fi
    sleep 1
  done
  log "cluster did not become healthy; last /cluster: ${out:-none}"
  tail -n 20 "$BASE"/m*/log/patroni.log >&2 || true
  return 1
}

start() {
  mkdir -p "$BASE"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$BASE"; fi
  chmod 0755 "$BASE"
  log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT"
  run_as_pg mkdir -p "$BASE/etcd"
  run_as_pg bash -c "exec setsid etcd --name it --data-dir '$BASE/etcd/data' \
      --listen-client-urls http://127.0.0.1:$ETCD_CLIENT_PORT --advertise-client-urls http://127.0.0.1:$ETCD_CLIENT_PORT \
      --listen-peer-urls http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$ETCD_PEER_PORT \
      --initial-cluster it=http://127.0.0.1:$ETCD_PEER_PORT --enable-v2=true \
      >'$BASE/etcd/etcd.log' 2>&1 & echo \$! >'$BASE/etcd/pid'"
  local i
  for i in $(seq 1 30); do api "http://127.0.0.1:$ETCD_CLIENT_PORT/health" >/dev/null && break; sleep 0.5; done
  api "http://127.0.0.1:$ETCD_CLIENT_PORT/health" >/dev/null || { log "etcd did not start"; cat "$BASE/etcd/etcd.log" >&2; return 1; }
  for i in 1 2 3; do
    local nf=false; [ "$i" = 3 ] && nf=true
    run_as_pg mkdir -p "$BASE/m$i/log"
    member_conf "m$i" "801$i" "544$i" "$nf" | run_as_pg tee "$BASE/m$i/patroni.yml" >/dev/null
    chmod 0600 "$BASE/m$i/patroni.yml"
    run_as_pg bash -c "exec setsid '$PATRONI_VENV/bin/patroni' '$BASE/m$i/patroni.yml' >'$BASE/m$i/log/stdout.log' 2>&1 & echo \$! >'$BASE/m$i/pid'"
    log "started m$i (REST 801$i, PG 544$i)"
    # let m1 bootstrap first so that it becomes the leader deterministically
    if [ "$i" = 1 ]; then
      for _ in $(seq 1 60); do api http://127.0.0.1:8011/primary >/dev/null && break; sleep 1; done
    fi
  done
  wait_healthy 120
}

stop() {
  local f pid
  for f in "$BASE"/m*/pid "$BASE"/etcd/pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null || true
  done
  # Patroni stops PostgreSQL on SIGTERM; give it a moment, then make sure.
  for _ in $(seq 1 30); do
    local alive=0
    for f in "$BASE"/m*/pid "$BASE"/etcd/pid; do
      [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  for f in "$BASE"/m*/pid "$BASE"/etcd/pid; do
    if [ -f "$f" ]; then kill -9 "$(cat "$f")" 2>/dev/null || true; fi
  done
  for d in "$BASE"/m*/data; do
    if [ -f "$d/postmaster.pid" ]; then
      run_as_pg "$PG_BIN/pg_ctl" -D "$d" stop -m immediate >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$BASE"
  log "stopped and removed $BASE"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  wait) wait_healthy "${2:-120}" ;;
  *) echo "usage: $0 install|start|stop|wait" >&2; exit 2 ;;
esac
