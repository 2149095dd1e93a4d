# etcd authentication, idempotent (pgha.patroni.etcd). Environment:
# PGHA_ETCDCTL (etcdctl with endpoint and TLS options), PGHA_USER (Patroni's
# user) and PGHA_PREFIX (its keys); on stdin, never on a command line: the
# root password, then Patroni's.
# Prints CHANGED when it changed something, ERROR: <why> when it cannot go on.
set -u -o pipefail
IFS= read -r PGHA_ROOT_PASSWORD
IFS= read -r PGHA_PASSWORD
ctl() { $PGHA_ETCDCTL "$@"; }
say() { echo "$@"; }
changed=0

# With authentication on, even 'auth status' wants a user.
status=$(ctl auth status 2>&1)
if grep -q 'Authentication Status: false' <<<"$status"; then
  enabled=0
elif grep -Eq 'Authentication Status: true|user name is empty' <<<"$status"; then
  enabled=1
  export ETCDCTL_USER="root:$PGHA_ROOT_PASSWORD"
  if ! out=$(ctl user get root 2>&1); then
    say "ERROR: etcd refuses the root password of the controller's etcd_root file (${out##*$'\n'});" \
        "restore that file from your backup of the credentials directory, or set etcd_root_password"
    exit 1
  fi
else
  say "ERROR: etcd does not answer 'auth status': ${status##*$'\n'}"
  exit 1
fi

if ! out=$(ctl user get root 2>&1); then
  printf '%s\n' "$PGHA_ROOT_PASSWORD" | ctl user add root --interactive=false >/dev/null || { say "ERROR: cannot add the root user"; exit 1; }
  changed=1
  out=$(ctl user get root 2>&1)
elif [ "$enabled" = 0 ]; then
  # a root user from before: give it the controller's password before authentication locks it
  printf '%s\n' "$PGHA_ROOT_PASSWORD" | ctl user passwd root --interactive=false >/dev/null || { say "ERROR: cannot set root's password"; exit 1; }
  changed=1
fi
if ! grep -Eq 'Roles:.*\broot\b' <<<"$out"; then
  ctl user grant-role root root >/dev/null || { say "ERROR: cannot grant the root role"; exit 1; }
  changed=1
fi

if ! role=$(ctl role get "$PGHA_USER" 2>&1); then
  ctl role add "$PGHA_USER" >/dev/null || { say "ERROR: cannot add the role $PGHA_USER"; exit 1; }
  changed=1
  role=$(ctl role get "$PGHA_USER" 2>&1)
fi
# read and write on the prefix, and nothing else
for other in $(grep -o '(prefix [^)]*)' <<<"$role" | sed 's/^(prefix //; s/)$//' | sort -u); do
  if [ "$other" != "$PGHA_PREFIX" ]; then
    ctl role revoke-permission "$PGHA_USER" --prefix=true "$other" >/dev/null \
      || { say "ERROR: cannot revoke $PGHA_USER's permission on $other"; exit 1; }
    changed=1
  fi
done
if [ "$(grep -cF "(prefix $PGHA_PREFIX)" <<<"$role")" -lt 2 ]; then
  ctl role grant-permission "$PGHA_USER" --prefix=true readwrite "$PGHA_PREFIX" >/dev/null \
    || { say "ERROR: cannot grant $PGHA_USER readwrite on $PGHA_PREFIX"; exit 1; }
  changed=1
fi

if ! out=$(ctl user get "$PGHA_USER" 2>&1); then
  printf '%s\n' "$PGHA_PASSWORD" | ctl user add "$PGHA_USER" --interactive=false >/dev/null \
    || { say "ERROR: cannot add the user $PGHA_USER"; exit 1; }
  changed=1
  out=$(ctl user get "$PGHA_USER" 2>&1)
elif [ "$enabled" = 0 ]; then
  printf '%s\n' "$PGHA_PASSWORD" | ctl user passwd "$PGHA_USER" --interactive=false >/dev/null \
    || { say "ERROR: cannot set the password of $PGHA_USER"; exit 1; }
  changed=1
fi
if ! grep -Eq "Roles:.*\\b$PGHA_USER\\b" <<<"$out"; then
  ctl user grant-role "$PGHA_USER" "$PGHA_USER" >/dev/null || { say "ERROR: cannot grant the role $PGHA_USER"; exit 1; }
  changed=1
fi

if [ "$enabled" = 0 ]; then
  ctl auth enable >/dev/null || { say "ERROR: cannot enable authentication"; exit 1; }
  changed=1
else
  # the password of the inventory is the one etcd knows
  if ! ETCDCTL_USER="$PGHA_USER:$PGHA_PASSWORD" ctl get "$PGHA_PREFIX" --prefix --keys-only --limit 1 >/dev/null 2>&1; then
    printf '%s\n' "$PGHA_PASSWORD" | ctl user passwd "$PGHA_USER" --interactive=false >/dev/null \
      || { say "ERROR: cannot set the password of $PGHA_USER"; exit 1; }
    changed=1
  fi
fi
[ "$changed" = 1 ] && say CHANGED
exit 0
