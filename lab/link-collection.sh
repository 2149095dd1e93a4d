#!/usr/bin/env bash
# Make this checkout importable as pgha.patroni from .cache/collections:
# a directory whose entries link to the checkout's runtime parts. (A link to
# the whole checkout would put the checkout inside itself, a loop that
# ansible-galaxy's manifest walk cannot leave.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${root}/.cache/collections/ansible_collections/pgha/patroni"
[ -L "${dest}" ] && rm -f "${dest}"     # the whole-checkout link of earlier versions
mkdir -p "${dest}"
for entry in galaxy.yml README.md meta plugins playbooks roles docs changelogs; do
  # a link that already points right is left alone: make test runs the
  # integration test (which calls this) beside the unit tests that use it
  [ "$(readlink "${dest}/${entry}" 2>/dev/null)" = "${root}/${entry}" ] || ln -sfn "${root}/${entry}" "${dest}/${entry}"
done
