#!/usr/bin/env bash
# Integration tests of the pgha.patroni modules and day-two playbooks against
# a real Patroni cluster on loopback (see cluster.sh). Called by `make integration`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
[ -x .venv/bin/ansible-playbook ] && export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.cache/collections"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export PGHA_IT_DIR="${PGHA_IT_DIR:-/tmp/pgha-it}"
export PGHA_IT_CREDENTIALS="$PGHA_IT_DIR/credentials"
"$ROOT/lab/link-collection.sh"

INV="$HERE/inventory/hosts.yml"
started=$SECONDS
"$HERE/cluster.sh" install
"$HERE/cluster.sh" stop >/dev/null 2>&1 || true   # leftovers of an interrupted run
trap '"$HERE/cluster.sh" stop' EXIT
"$HERE/cluster.sh" start

mkdir -p "$PGHA_IT_CREDENTIALS"
printf '%s' "${PGHA_IT_API_PASSWORD:-it-api-secret-0123456789}" >"$PGHA_IT_CREDENTIALS/patroni_restapi"
chmod 0600 "$PGHA_IT_CREDENTIALS/patroni_restapi"

play() { ansible-playbook -i "$INV" "$@"; }
recap_changed() { sed -n '/PLAY RECAP/,$p' "$1" | grep -oE 'changed=[0-9]+' | head -1; }

echo "== modules"
play "$HERE/test_modules.yml"

echo "== playbooks"
log="$(mktemp)"
play playbooks/status.yml | tee "$log"
grep -q '"m1 .*leader' "$log"
for run in first second; do
  play playbooks/switchover.yml -e candidate=m2 | tee "$log"
  expected=changed=1; [ $run = second ] && expected=changed=0
  [ "$(recap_changed "$log")" = $expected ] || { echo "switchover.yml $run run: expected $expected" >&2; exit 1; }
done
play playbooks/maintenance.yml -e state=paused | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/maintenance.yml -e state=resumed | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/edit_config.yml --diff \
  -e '{"patroni_dynamic_config": {"postgresql": {"parameters": {"max_connections": 150}}}}' | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/restart.yml | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/restart.yml | tee "$log"
[ "$(recap_changed "$log")" = changed=0 ]
play playbooks/reinit.yml -e member=m3 | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/reload.yml -e role=replica | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
grep -q 'reloaded: m1, m3' "$log"   # m2 leads since switchover.yml
at="$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:00+00:00)"
play playbooks/restart.yml -e role=replica -e pending_only=false -e postgres_version_below=99.0 -e scheduled_at="$at" | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
grep -q 'scheduled: m1, m3' "$log"
for run in first second; do
  play playbooks/cancel_scheduled.yml | tee "$log"
  expected=changed=1; [ $run = second ] && expected=changed=0
  [ "$(recap_changed "$log")" = $expected ] || { echo "cancel_scheduled.yml $run run: expected $expected" >&2; exit 1; }
done
play playbooks/history.yml | tee "$log"
[ "$(recap_changed "$log")" = changed=0 ]
grep -qE '"  *1 .*m2' "$log"
play playbooks/failover.yml -e candidate=m1 -e force=true | tee "$log"
[ "$(recap_changed "$log")" = changed=1 ]
play playbooks/status.yml | tee "$log"
grep -q '"m1 .*leader' "$log"
rm -f "$log"
echo "integration tests passed in $((SECONDS - started)) s"
