# Re-add one etcd member whose data is gone (pgha.patroni.etcd, join.yml).
# Environment: PGHA_ETCDCTL (etcdctl with endpoint and TLS options, run on a
# member that has data), PGHA_NAME and PGHA_PEER_URL (the member to
# re-add); on stdin the root password (an empty line without authentication).
set -u -o pipefail
IFS= read -r PGHA_ROOT_PASSWORD
ctl() { $PGHA_ETCDCTL "$@"; }
[ -n "$PGHA_ROOT_PASSWORD" ] && export ETCDCTL_USER="root:$PGHA_ROOT_PASSWORD"

list=$(ctl member list -w json 2>&1) || { echo "ERROR: cannot list the etcd members: ${list##*$'\n'}"; exit 1; }
old=$(python3 -c '
import json, sys
name, url = sys.argv[1:3]
members = json.loads(sys.stdin.read()).get("members", [])
print(next((format(m["ID"], "x") for m in members if m.get("name") == name or url in m.get("peerURLs", [])), ""))
' "$PGHA_NAME" "$PGHA_PEER_URL" <<<"$list") || { echo "ERROR: cannot read the etcd member list"; exit 1; }

if [ -n "$old" ]; then
  out=$(ctl member remove "$old" 2>&1) || { echo "ERROR: cannot remove the old membership of $PGHA_NAME ($old): ${out##*$'\n'}"; exit 1; }
fi
out=$(ctl member add "$PGHA_NAME" --peer-urls="$PGHA_PEER_URL" 2>&1) \
  || { echo "ERROR: cannot add $PGHA_NAME ($PGHA_PEER_URL) to etcd: ${out##*$'\n'}"; exit 1; }
echo "re-added $PGHA_NAME (old id ${old:-none})"
