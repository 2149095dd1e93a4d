# Helpers of the postgresql role's probes (preflight.yml, cleanup.yml).
# Environment: PGHA_PREFIX (the stable prefix), PGHA_PGUSER, PGHA_PGSOCKET,
# PGHA_PGPORT.

local_psql() {
  [ -x "$PGHA_PREFIX/bin/psql" ] || return 1
  PGCONNECT_TIMEOUT=5 runuser -u "$PGHA_PGUSER" -- "$PGHA_PREFIX/bin/psql" -h "$PGHA_PGSOCKET" -p "$PGHA_PGPORT" \
    -d postgres -XAtqc "$1" 2>/dev/null
}

# running_server_major: the major version of the local server, if one runs:
# read from its data directory, which the postmaster's lock file beside the
# socket names (whatever build or package it runs from).
running_server_major() {
  l="$PGHA_PGSOCKET/.s.PGSQL.$PGHA_PGPORT.lock"
  [ -f "$l" ] || return 1
  pid=$(sed -n 1p "$l") && d=$(sed -n 2p "$l") || return 1
  kill -0 "$pid" 2>/dev/null && cat "$d/PG_VERSION"
}

# installed_major: the major version of the build the bin directory (the
# stable prefix of a source build) holds.
installed_major() {
  v=$("${PGHA_BIN_DIR:-$PGHA_PREFIX/bin}/postgres" --version 2>/dev/null) || return 1
  v=${v##* }
  echo "${v%%.*}"
}

# running_builds: print, one per line, the installed builds (<PGHA_PREFIX>-*)
# that processes run from, or UNKNOWN when a process started from a path
# under the prefix (its argv[0]) cannot be placed (then nothing may be
# removed; only argv[0]: Ansible's own shells carry the prefix in the
# environment assignments of their command lines). A
# process's /proc/<pid>/exe is read as root and, for the service user's
# processes, as that user (root cannot read other users' exe links without
# CAP_SYS_PTRACE, as in containers; the owner always can); the local
# server's pg_config BINDIR is asked as well.
running_builds() {
  {
    for p in /proc/[0-9]*; do
      e=$(readlink "$p/exe" 2>/dev/null) \
        || e=$(runuser -u "$PGHA_PGUSER" -- readlink "$p/exe" 2>/dev/null) \
        || { a0=$(tr '\0' '\n' < "$p/cmdline" 2>/dev/null | head -n 1)
             case "$a0" in "$PGHA_PREFIX"*) echo UNKNOWN ;; esac
             continue; }
      case "$e" in "$PGHA_PREFIX"-*/bin/*) echo "${e%/bin/*}" ;; esac
    done
    b=$(local_psql "select setting from pg_config where name = 'BINDIR'") && [ -n "$b" ] && echo "${b%/bin}"
  } | sort -u
}
