# Remove the installed PostgreSQL builds (<prefix>-*/ with a .pgha-build-*
# marker) other than the current one that no process runs from; the check
# is made here, right before the removal. Environment: PGHA_CURRENT (the
# build to keep), PGHA_PREFIX (the stable prefix), PGHA_CHECK (1: only
# report). Prints removed=<dir> or kept=<dir> (something runs from it).
set -u
running=$(for p in /proc/[0-9]*; do
  e=$(readlink "$p/exe" 2>/dev/null) || continue
  case "$e" in "$PGHA_PREFIX"-*/bin/*) echo "${e%/bin/*}" ;; esac
done | sort -u)
for m in "$PGHA_PREFIX"-*/.pgha-build-*; do
  [ -e "$m" ] || continue
  d=${m%/.pgha-build-*}
  [ "$d" = "$PGHA_CURRENT" ] && continue
  if printf '%s\n' "$running" | grep -qxF -- "$d"; then
    echo "kept=$d"
    continue
  fi
  [ "$PGHA_CHECK" = 1 ] || rm -rf -- "$d" || { echo "ERROR: cannot remove $d"; exit 1; }
  echo "removed=$d"
done
exit 0
