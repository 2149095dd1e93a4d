#!/usr/bin/env bash
# Run ansible-test on a copy of the collection laid out the way it wants
# (ansible_collections/pgha/patroni). Usage: lab/ansible-test.sh sanity [args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${root}/.cache/ansible-test/ansible_collections/pgha/patroni"
python="${root}/.venv/bin/python"
pyver="$("${python}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# A fresh copy of the files git knows about (tracked, or untracked and not
# ignored), made with tar: nothing beyond git and coreutils is needed.
rm -rf "${dest}"
mkdir -p "${dest}"
(cd "${root}" && git ls-files -z --cached --others --exclude-standard \
  | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
  | tar --null -T - -cf -) | tar -C "${dest}" -xf -
(cd "${dest}" && git init -q . && git add -A >/dev/null 2>&1 || true)

# ansible-test bootstraps pip in its virtual environments with a script it
# downloads from a host this machine cannot reach; a local stand-in does the
# same job with ensurepip.
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
