#!/usr/bin/env bash
# Run ansible-test on a copy of the collection laid out the way it wants
# (ansible_collections/pgha/patroni). Usage: lab/ansible-test.sh sanity [args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${root}/.cache/ansible-test/ansible_collections/pgha/patroni"
python="${root}/.venv/bin/python"
pyver="$("${python}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# The files git knows about (tracked, or untracked and not ignored).
mkdir -p "${dest}"
(cd "${root}" && git ls-files -z --cached --others --exclude-standard) \
  | rsync -a --delete --from0 --files-from=- "${root}/" "${dest}/"
# rsync --delete with --files-from removes nothing; prune stale copies.
(cd "${dest}" && find . -type f | sed 's|^\./||' | sort) > "${dest}/../.copied"
(cd "${root}" && git ls-files --cached --others --exclude-standard | sort) > "${dest}/../.wanted"
comm -23 "${dest}/../.copied" "${dest}/../.wanted" | (cd "${dest}" && xargs -r rm -f)
(cd "${dest}" && git init -q . 2>/dev/null; git add -A >/dev/null 2>&1 || true)

# ansible-test bootstraps pip in its virtual environments with a script it
# downloads from a host this machine cannot reach; a local stand-in does the
# same job with ensurepip (see shared/LAB.md).
cache="${HOME}/.ansible/test/cache"
mkdir -p "${cache}"
pip_version="$("${python}" -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; import inspect,re; print(re.search(r"pip=.(\d+(?:\.\d+)+).", inspect.getsource(g)).group(1))')"
f="${cache}/get_pip_${pip_version//./_}.py"
cat > "${f}" <<'PY'
"""Local stand-in for pip's bootstrap script: ensurepip, then pip as asked."""
import os
import subprocess
import sys

os.environ.pop("PIP_CONFIG_FILE", None)
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if any(not a.startswith("-") for a in args):
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
PY

cd "${dest}"
exec "${root}/.venv/bin/ansible-test" "$@" --python "${pyver}"
