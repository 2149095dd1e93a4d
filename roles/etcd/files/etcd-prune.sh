# Take etcd members that are no longer in the inventory's etcd group out of
# the cluster, one at a time (pgha.patroni.etcd, prune.yml). etcd itself
# refuses a removal that would leave fewer started members than a quorum.
# Environment: PGHA_ETCDCTL (etcdctl with endpoint and TLS options, run on a
# member that stays), PGHA_KEEP_NAMES and PGHA_KEEP_URLS (the names and
# peer URLs of the members to keep, comma-separated: a member is judged by
# its name, one that never started by its peer URL), PGHA_CHECK (1: only
# report); on stdin the root password
# (an empty line without authentication). Prints removed=<name> lines.
set -u -o pipefail
IFS= read -r PGHA_ROOT_PASSWORD
ctl() { $PGHA_ETCDCTL "$@"; }
[ -n "$PGHA_ROOT_PASSWORD" ] && export ETCDCTL_USER="root:$PGHA_ROOT_PASSWORD"

err=$(mktemp)
list=$(ctl member list -w json 2>"$err") || { echo "ERROR: cannot list the etcd members: $(tail -n 1 "$err")"; rm -f "$err"; exit 1; }
rm -f "$err"
gone=$(python3 -c '
import json, sys
names = set(n for n in sys.argv[1].split(",") if n)
urls = set(u for u in sys.argv[2].split(",") if u)
for m in json.loads(sys.stdin.read()).get("members", []):
    name = m.get("name") or ""
    # a member that never started has no name yet: judged by its peer URL
    keep = name in names if name else bool(urls.intersection(m.get("peerURLs", [])))
    if not keep:
        print(format(m["ID"], "x"), name or "(not started)")
' "$PGHA_KEEP_NAMES" "$PGHA_KEEP_URLS" <<<"$list") || { echo "ERROR: cannot read the etcd member list"; exit 1; }

while read -r id name; do
  [ -n "$id" ] || continue
  if [ "$PGHA_CHECK" != 1 ]; then
    out=$(ctl member remove "$id" 2>&1) \
      || { echo "ERROR: etcd refused to remove $name ($id): ${out##*$'\n'}. Bring the members that stay back to health first."; exit 1; }
  fi
  echo "removed=$name"
done <<<"$gone"
exit 0
