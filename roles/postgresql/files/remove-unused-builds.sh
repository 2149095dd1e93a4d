# Remove the installed PostgreSQL builds (<prefix>-*/ with a .pgha-build-*
# marker) other than the current one that no process runs from; the check
# is made here, right before the removal (running_builds, from
# running-builds.sh). Environment: PGHA_CURRENT (the build to keep),
# PGHA_CHECK (1: only report) and those of running-builds.sh. Prints
# removed=<dir>, or kept=<dir> when something runs from it (or a process
# that names the prefix cannot be placed: running_builds printed UNKNOWN).
set -u
running=$(running_builds)
for m in "$PGHA_PREFIX"-*/.pgha-build-*; do
  [ -e "$m" ] || continue
  d=${m%/.pgha-build-*}
  [ "$d" = "$PGHA_CURRENT" ] && continue
  if printf '%s\n' "$running" | grep -qxF -e "$d" -e UNKNOWN; then
    echo "kept=$d"
    continue
  fi
  [ "$PGHA_CHECK" = 1 ] || rm -rf -- "$d" || { echo "ERROR: cannot remove $d"; exit 1; }
  echo "removed=$d"
done
exit 0
