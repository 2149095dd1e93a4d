# Remove Patroni's virtual environments (<root>-* and a legacy <root>, each
# with a pyvenv.cfg) other than the current one that no process runs from
# (checked against every command line, right before the removal).
# Environment: PGHA_CURRENT, PGHA_ROOT, PGHA_CHECK (1: only report).
# Prints removed=<dir> or kept=<dir>.
set -u
cmdlines=$(for p in /proc/[0-9]*; do tr '\0' ' ' < "$p/cmdline" 2>/dev/null; echo; done)
for cfg in "$PGHA_ROOT"/pyvenv.cfg "$PGHA_ROOT"-*/pyvenv.cfg; do
  [ -e "$cfg" ] || continue
  d=${cfg%/pyvenv.cfg}
  [ "$d" = "$PGHA_CURRENT" ] && continue
  [ -L "$d" ] && continue
  if printf '%s\n' "$cmdlines" | grep -qF -- "$d/bin/"; then
    echo "kept=$d"
    continue
  fi
  [ "$PGHA_CHECK" = 1 ] || rm -rf -- "$d" || { echo "ERROR: cannot remove $d"; exit 1; }
  echo "removed=$d"
done
exit 0
