#!/usr/bin/env bash
# make test: the whole suite in phases, then one table of where the time went
# (printed whatever the outcome), with the no-op baseline measured on the
# first lab (benchmarks/noop.yml, written by the default scenario's verify)
# so every log says how fast its machine was.
#
# SLOW=N (make test SLOW=4) runs N busy loops beside the suite, at the same
# priority, so the controller and the containers get a fraction of the
# processors: the way to try the suite's time bounds on a slower machine.
# ONLY=static,default,lifecycle (make test ONLY=default,lifecycle) runs only
# those phases (lifecycle is lifecycle + installed); all by default. The
# failure drills run inside the default scenario, on its lab (issue 31);
# ONLY=drills runs them in their own scenario (molecule test -s drills) as well.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHA_PHASES="${PGHA_PHASES:-$PWD/.cache/phases.tsv}"
mkdir -p "$(dirname "$PGHA_PHASES")"
: >"$PGHA_PHASES"
rm -f "$PGHA_PHASES.part"  # the default scenario's part marker (molecule/default/phase_mark.yml)
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

wanted() {  # wanted KEY: whether ONLY (comma-separated) asks for this phase
  [ -z "${ONLY:-}" ] || [[ ",${ONLY}," == *",$1,"* ]]
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

# The static checks and the loopback integration test at once (each log kept whole), beside
# the first molecule scenario (its log printed after it; they end during its converge, so the
# drills and the upgrade at the end of its verify run alone: their bounds are timed); then
# lifecycle and the Debian 12 converge side by side.
static_log="$PWD/.cache/static.log"
if wanted static && wanted default; then
  phase static "static: lint sanity unit integration (beside default)" \
    "$MAKE" -j4 --output-sync=target lint sanity unit integration >"$static_log" 2>&1 &
  static_pid=$!
  hogs+=("$static_pid")
  default_rc=0
  phase default "molecule default (Debian 13)" "$MAKE" molecule-default || default_rc=$?
  static_rc=0
  wait "$static_pid" || static_rc=$?
  hogs=("${hogs[@]/$static_pid}")
  echo "make test: the static checks' log (they ran beside molecule default)"
  cat "$static_log"
  [ "$default_rc" -eq 0 ] || exit "$default_rc"
  [ "$static_rc" -eq 0 ] || exit "$static_rc"
else
  phase static "static: lint sanity unit integration" "$MAKE" -j4 --output-sync=target lint sanity unit integration
  phase default "molecule default (Debian 13)" "$MAKE" molecule-default
fi
if [[ ",${ONLY:-}," == *",drills,"* ]]; then
  phase drills "molecule drills (Debian 13, a lab of their own)" "$MAKE" molecule-drills
fi
phase lifecycle "molecule lifecycle + installed (side by side)" "$MAKE" -j2 --output-sync=target molecule-lifecycle molecule-installed
