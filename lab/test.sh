#!/usr/bin/env bash
# make test: the whole suite in phases, then one table of where the time went
# (printed whatever the outcome), with the no-op baseline measured on the
# first lab (benchmarks/noop.yml, written by the default scenario's verify)
# so every log says how fast its machine was.
#
# SLOW=N (make test SLOW=4) runs N busy loops beside the suite, at the same
# priority, so the controller and the containers get a fraction of the
# processors: the way to try the suite's time bounds on a slower machine.
# ONLY=static,default,drills,lifecycle,installed (make test ONLY=default,drills)
# runs only those phases; all by default.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHA_PHASES="${PGHA_PHASES:-$PWD/.cache/phases.tsv}"
mkdir -p "$(dirname "$PGHA_PHASES")"
: >"$PGHA_PHASES"
# Every phase's output also goes here; a failed suite ends with the failures
# found in it, so a CI log cut in the middle still says what failed.
suite_log="$PWD/.cache/suite.log"
: >"$suite_log"
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
  if [ "$rc" -ne 0 ]; then
    echo
    echo "make test: what failed (the last failures in the phases' output, $suite_log)"
    grep -h -A14 -E '^(fatal|failed):|FAILED!|^ERROR|^CRITICAL' "$suite_log" 2>/dev/null \
      | grep -v '^--$' | cut -c1-400 | tail -60 || true
  fi
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
  "$@" 2>&1 | tee -a "$suite_log" || rc=$?
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

# Four stages (issue 31); a failed stage ends the suite.
# 1. The static checks and the loopback integration test at once (each log kept whole),
#    beside the default scenario up to the end of its checks, its lab kept (its log streams;
#    the static log follows it). The static checks end during its converge.
# 2. Alone on the default scenario's lab, because their bounds are timed: the failure drills
#    (molecule/drills/verify.yml against inventories/lab, which has the drills' timing). The
#    lab has a backup repository, which the drills' own lab lacks: drill 10 refuses the
#    laggard's archive too, and drill 4 accepts a demoted leader starting as a standby.
# 3. Alone on the same lab, its bounds timed too: the major upgrade; then the lab goes.
#    (ONLY=drills without default runs the drills scenario on a lab of its own instead.)
# 4. lifecycle and the Debian 12 converge side by side.
# Three scenarios side by side (stage 1 with lifecycle and installed) were tried: a load
# average of 40 on 2 processors, noop.yml 8 times slower, the suite slower as a whole.
phase always "setup: venv, images, sources" "$MAKE" venv image source

export PGHA_DEFAULT_LATE=separately  # molecule/default/verify.yml leaves the upgrade to stage 2
static_log="$PWD/.cache/static.log"
static_pid=
if wanted static; then
  phase static "static: lint sanity unit integration rules (stage 1)" \
    "$MAKE" -j4 --output-sync=target lint sanity unit integration rules >"$static_log" 2>&1 &
  static_pid=$!
  hogs+=("$static_pid")
fi
rc=0
if wanted default; then
  molecule destroy -s default >/dev/null 2>&1 || true
  phase default "molecule default up to its checks, lab kept (stage 1)" \
    molecule test -s default --destroy=never || rc=$?
fi
if [ -n "$static_pid" ]; then
  static_rc=0
  wait "$static_pid" || static_rc=$?
  hogs=("${hogs[@]/$static_pid}")
  echo "make test: the static checks' log (exit $static_rc)"
  cat "$static_log"
  [ "$static_rc" -eq 0 ] || rc=$static_rc
fi

late() {  # late PLAYBOOK: a playbook of the default scenario's verify, run on its lab
  MOLECULE_PROJECT_DIRECTORY="$PWD" MOLECULE_SCENARIO_NAME=default PGHA_DEFAULT_LATE= \
    ansible-playbook -i inventories/lab/hosts.yml "$1"
}
if [ "$rc" -eq 0 ] && wanted default && wanted drills; then
  phase drills "failure drills on the default lab, alone (stage 2)" late molecule/drills/verify.yml || rc=$?
fi
if [ "$rc" -eq 0 ] && wanted default; then
  phase default "major upgrade on the default lab, alone (stage 3)" late molecule/default/major_upgrade.yml || rc=$?
fi
if wanted default; then molecule destroy -s default >/dev/null 2>&1 || true; fi
[ "$rc" -eq 0 ] || exit "$rc"

if wanted drills && ! wanted default; then
  phase drills "molecule drills, a lab of their own, alone (stage 2)" "$MAKE" molecule-drills
fi
if wanted lifecycle && wanted installed; then
  phase lifecycle "molecule lifecycle + installed, side by side (stage 4)" \
    "$MAKE" -j2 --output-sync=target molecule-lifecycle molecule-installed
else
  phase lifecycle "molecule lifecycle (stage 4)" "$MAKE" molecule-lifecycle
  phase installed "molecule installed, Debian 12 (stage 4)" "$MAKE" molecule-installed
fi
