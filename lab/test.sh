#!/usr/bin/env bash
# make test: the whole suite in phases, then one table of where the time went
# (printed whatever the outcome), with the no-op baseline measured on the
# first lab (benchmarks/noop.yml, written by the default scenario's verify)
# so every log says how fast its machine was.
#
# SLOW=N (make test SLOW=4) runs N busy loops beside the suite, at the same
# priority, so the controller and the containers get a fraction of the
# processors: the way to try the suite's time bounds on a slower machine.
# ONLY=static,default,lifecycle,installed (make test ONLY=default,lifecycle)
# runs only those phases; all by default. The failure drills and the major
# upgrade run on the default scenario's lab (issue 31); ONLY=drills runs the
# drills in their own scenario (molecule test -s drills) as well.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHA_PHASES="${PGHA_PHASES:-$PWD/.cache/phases.tsv}"
mkdir -p "$(dirname "$PGHA_PHASES")"
: >"$PGHA_PHASES"
MAKE="${MAKE:-make}"
suite_start=$(date +%s)
hogs=()

table() {
  local rc=$?
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  echo
  echo "make test: where the time went (SLOW=${SLOW:-0}, ONLY=${ONLY:-all}, $(nproc) processors)"
  printf '  %-52s %8s  %s\n' phase seconds result
  while IFS=$'\t' read -r name secs result; do
    printf '  %-52s %8s  %s\n' "$name" "$secs" "$result"
  done <"$PGHA_PHASES"
  printf '  %-52s %8s  %s\n' total "$(( $(date +%s) - suite_start ))" "$([ "$rc" -eq 0 ] && echo passed || echo "failed (exit $rc)")"
  exit "$rc"
}
trap table EXIT

wanted() {  # wanted KEY: whether ONLY (comma-separated) asks for this phase (KEY always: every time)
  [ "$1" = always ] || [ -z "${ONLY:-}" ] || [[ ",${ONLY}," == *",$1,"* ]]
}

phase() {  # phase KEY NAME COMMAND...: run it (when wanted), record its wall time and result
  local key="$1" name="$2" start rc=0
  shift 2
  wanted "$key" || return 0
  start=$(date +%s)
  "$@" || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$(( $(date +%s) - start ))" "$([ "$rc" -eq 0 ] && echo passed || echo "failed (exit $rc)")" >>"$PGHA_PHASES"
  return "$rc"
}

if [ "${SLOW:-0}" -gt 0 ]; then
  for _ in $(seq 1 "$SLOW"); do
    sh -c 'while :; do :; done' &
    hogs+=("$!")
  done
  echo "make test: SLOW=$SLOW busy loops running beside the suite (pids ${hogs[*]})"
fi

# Two stages (issue 31).
# 1. Side by side, since most of their time is waiting (SSH round trips, Patroni's loop,
#    polls), not computing: the static checks (lint, sanity, unit), the default
#    scenario up to the end of its checks (its lab kept), lifecycle, and the Debian 12
#    converge. The default scenario's log streams; the others' logs (each whole) follow it.
# 2. Alone, because their bounds are timed: the integration test (a Patroni cluster on
#    loopback, its REST calls bounded; under stage 1's load its restart missed its 10 s), then
#    on the default scenario's lab the failure drills and the major upgrade; then the lab goes.
# A failure in stage 1 skips stage 2; every stage-1 log is printed either way.
phase always "setup: venv, images, sources" "$MAKE" venv image source

export PGHA_DEFAULT_LATE=separately  # molecule/default/verify.yml leaves the drills and the upgrade to stage 2
bg_pids=() bg_names=() bg_logs=()
background() {  # background KEY NAME COMMAND...: a stage-1 phase beside the default scenario
  local key="$1" name="$2" log
  wanted "$key" || return 0
  log="$PWD/.cache/phase-${key}.log"
  phase "$@" >"$log" 2>&1 &
  bg_pids+=("$!") bg_names+=("$name") bg_logs+=("$log")
  hogs+=("$!")
}
background static "static: lint sanity unit (stage 1)" \
  "$MAKE" -j3 --output-sync=target lint sanity unit
background lifecycle "molecule lifecycle (stage 1)" "$MAKE" molecule-lifecycle
background installed "molecule installed, Debian 12 (stage 1)" "$MAKE" molecule-installed

stage1_rc=0
if wanted default; then
  molecule destroy -s default >/dev/null 2>&1 || true
  phase default "molecule default up to its checks, lab kept (stage 1)" \
    molecule test -s default --destroy=never || stage1_rc=$?
fi
for i in "${!bg_pids[@]}"; do
  rc=0
  wait "${bg_pids[$i]}" || rc=$?
  hogs=("${hogs[@]/${bg_pids[$i]}}")
  echo "make test: the log of '${bg_names[$i]}' (it ran beside the default scenario; exit $rc)"
  cat "${bg_logs[$i]}"
  [ "$rc" -eq 0 ] || stage1_rc=$rc
done
[ "$stage1_rc" -eq 0 ] || { molecule destroy -s default >/dev/null 2>&1 || true; exit "$stage1_rc"; }

late() {  # late PLAYBOOK: a playbook of the default scenario's verify, run on its lab
  MOLECULE_PROJECT_DIRECTORY="$PWD" MOLECULE_SCENARIO_NAME=default PGHA_DEFAULT_LATE= \
    ansible-playbook -i inventories/lab/hosts.yml "$1"
}
rc=0
phase static "integration: the modules on a loopback cluster, alone (stage 2)" "$MAKE" integration || rc=$?
if [ "$rc" -eq 0 ] && wanted default; then
  phase default "failure drills on the default lab, alone (stage 2)" late molecule/drills/verify.yml || rc=$?
  if [ "$rc" -eq 0 ]; then
    phase default "major upgrade on the default lab, alone (stage 2)" late molecule/default/major_upgrade.yml || rc=$?
  fi
fi
wanted default && { molecule destroy -s default >/dev/null 2>&1 || true; }
if [ "$rc" -eq 0 ] && [[ ",${ONLY:-}," == *",drills,"* ]]; then
  phase drills "molecule drills (Debian 13, a lab of their own)" "$MAKE" molecule-drills || rc=$?
fi
exit "$rc"
