#!/usr/bin/env bash
# Build the collection tarball, or install it the way users do.
#   lab/collection.sh build              -> .cache/dist/pgha-patroni-<version>.tar.gz
#   lab/collection.sh install [DIR]      -> DIR/ansible_collections/pgha/patroni
#                                           (default .cache/installed)
# The install takes no dependencies from Galaxy (--no-deps): the one the
# collection needs, ansible.posix, comes with the `ansible` package of the
# controller venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="${root}/.cache/dist"
version="$(awk '/^version:/ {print $2}' "${root}/galaxy.yml")"
tarball="${dist}/pgha-patroni-${version}.tar.gz"

build() {
  mkdir -p "${dist}"
  rm -f "${dist}"/pgha-patroni-*.tar.gz
  (cd "${root}" && ansible-galaxy collection build --force --output-path "${dist}" >/dev/null)
  echo "lab: built ${tarball} ($(tar -tzf "${tarball}" | grep -vc '/$') files, $(du -k "${tarball}" | cut -f1) KiB)"
}

case "${1:-}" in
  build) build ;;
  install)
    dest="${2:-${root}/.cache/installed}"
    build
    rm -rf "${dest}/ansible_collections/pgha/patroni"
    ansible-galaxy collection install --no-deps --force -p "${dest}" "${tarball}" >/dev/null
    echo "lab: installed pgha.patroni ${version} into ${dest}"
    ;;
  *) echo "usage: $0 build | install [DIR]" >&2; exit 2 ;;
esac
