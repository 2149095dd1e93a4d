# running_builds: print, one per line, the installed builds (<PGHA_PREFIX>-*)
# that processes run from. Two sources, because either can be blind: the
# /proc/<pid>/exe of every process (unreadable for other users' processes
# where root lacks CAP_SYS_PTRACE, as in containers), and the local server's
# own answer, its pg_config BINDIR (the real directory of the postgres
# binary it runs). Environment: PGHA_PREFIX, PGHA_PGUSER, PGHA_PGSOCKET,
# PGHA_PGPORT.
running_builds() {
  {
    for p in /proc/[0-9]*; do
      e=$(readlink "$p/exe" 2>/dev/null) || continue
      case "$e" in "$PGHA_PREFIX"-*/bin/*) echo "${e%/bin/*}" ;; esac
    done
    if [ -x "$PGHA_PREFIX/bin/psql" ]; then
      b=$(PGCONNECT_TIMEOUT=5 runuser -u "$PGHA_PGUSER" -- "$PGHA_PREFIX/bin/psql" -h "$PGHA_PGSOCKET" -p "$PGHA_PGPORT" \
            -d postgres -XAtqc "select setting from pg_config where name = 'BINDIR'" 2>/dev/null) && [ -n "$b" ] && echo "${b%/bin}"
    fi
  } | sort -u
}
