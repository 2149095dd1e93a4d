#!/usr/bin/env bash
# Obtain a genuine upstream PostgreSQL source tarball for the tests and the
# lab without reaching the upstream site: Debian's source package
# postgresql-NN carries the upstream postgresql-X.Y tarball as its
# .orig.tar.bz2. Verified by sha256; skipped when already in the cache.
#   lab/fetch-postgresql-source.sh   (PGHA_CACHE_DIR, default ~/.cache/pgha.patroni)
set -euo pipefail

version="${PGHA_PG_VERSION:-15.18}"
debian_version="${PGHA_PG_DEBIAN_VERSION:-15.18-0+deb12u1}"
sha256="${PGHA_PG_SHA256:-11df0df97fe3ea4ba9a791faaf39cee1d2fe571e78885b5b55d8517d27c323b4}"
cache="${PGHA_CACHE_DIR:-${HOME}/.cache/pgha.patroni}"
major="${version%%.*}"
target="${cache}/postgresql-${version}.tar.bz2"

if [ -f "${target}" ] && echo "${sha256}  ${target}" | sha256sum -c --status; then
  echo "lab: ${target} present and verified"
  exit 0
fi
mkdir -p "${cache}"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${work}/sources.list.d" "${work}/lists/partial"

# A private copy of this machine's apt sources with deb-src added; the
# machine's own configuration is left untouched.
found=0
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "${f}" ] || continue
  sed -E 's/^Types:.*/Types: deb deb-src/' "${f}" > "${work}/sources.list.d/$(basename "${f}")"
  found=1
done
if [ -f /etc/apt/sources.list ]; then
  sed -n -E 's/^deb (.*)/deb-src \1/p' /etc/apt/sources.list > "${work}/sources.list.d/src.list"
  [ -s "${work}/sources.list.d/src.list" ] && found=1
fi
if [ "${found}" -eq 0 ]; then
  echo "lab: no apt sources found in /etc/apt to derive deb-src from" >&2
  exit 1
fi

apt_opts=(-o "Dir::Etc::SourceParts=${work}/sources.list.d" -o "Dir::Etc::SourceList=/dev/null"
          -o "Dir::State::Lists=${work}/lists" -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -qq >/dev/null
(cd "${work}" && apt-get "${apt_opts[@]}" source --download-only -qq \
   "postgresql-${major}=${debian_version}"  >/dev/null)

orig="${work}/postgresql-${major}_${version}.orig.tar.bz2"
if [ ! -f "${orig}" ]; then
  echo "lab: apt did not deliver ${orig##*/}" >&2
  exit 1
fi
# The .dsc lists the checksum Debian signed; it must agree with ours.
if ! grep -q "${sha256}" "${work}"/postgresql-"${major}"_*.dsc; then
  echo "lab: ${orig##*/} checksum in the .dsc differs from the expected ${sha256}" >&2
  exit 1
fi
echo "${sha256}  ${orig}" | sha256sum -c --status || {
  echo "lab: sha256 of ${orig##*/} does not match ${sha256}" >&2
  exit 1
}
mv "${orig}" "${target}"
echo "lab: fetched ${target}"
