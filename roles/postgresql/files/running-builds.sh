# Helpers of the postgresql role's probes (preflight.yml, cleanup.yml).
#
# running_builds: print, one per line, the installed builds (<PGHA_PREFIX>-*)
# that processes run from. Two sources, because either can be blind: the
# /proc/<pid>/exe of every process (unreadable for other users' processes
# where root lacks CAP_SYS_PTRACE, as in containers), and the local server's
# own answer, its pg_config BINDIR (the real directory of the postgres
# binary it runs). Environment: PGHA_PREFIX, PGHA_PGUSER, PGHA_PGSOCKET,
# PGHA_PGPORT.
local_psql() {
  [ -x "$PGHA_PREFIX/bin/psql" ] || return 1
  PGCONNECT_TIMEOUT=5 runuser -u "$PGHA_PGUSER" -- "$PGHA_PREFIX/bin/psql" -h "$PGHA_PGSOCKET" -p "$PGHA_PGPORT" \
    -d postgres -XAtqc "$1" 2>/dev/null
}

# running_server_major: the major version of the local server, if one answers.
running_server_major() {
  local_psql "select current_setting('server_version_num')::int / 10000"
}

running_builds() {
  {
    for p in /proc/[0-9]*; do
      e=$(readlink "$p/exe" 2>/dev/null) || continue
      case "$e" in "$PGHA_PREFIX"-*/bin/*) echo "${e%/bin/*}" ;; esac
    done
    b=$(local_psql "select setting from pg_config where name = 'BINDIR'") && [ -n "$b" ] && echo "${b%/bin}"
  } | sort -u
}
