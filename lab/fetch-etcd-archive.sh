#!/usr/bin/env bash
# An etcd 3.5 release archive for Debian 12 hosts, made from Debian 13's own
# packages. Debian 12's etcd-server (3.4.23) is built without the v3 HTTP
# gateway that Patroni's etcd3 client speaks; the lab reaches no upstream
# release site, but Debian 13's etcd-server/etcd-client 3.5 carry static
# binaries that run on Debian 12. apt verifies the packages (signed Release,
# SHA256 in Packages); this script lays their binaries out like an upstream
# archive (etcd-vX-linux-ARCH/{etcd,etcdctl,etcdutl}) for the etcd role's
# `etcd_install_method: archive`, and writes the archive's sha256 next to it.
#   lab/fetch-etcd-archive.sh   (PGHA_CACHE_DIR, default ~/.cache/pgha.patroni)
set -euo pipefail

version="${PGHA_ETCD_VERSION:-3.5.16}"
suite="${PGHA_ETCD_SUITE:-trixie}"
arch="$(dpkg --print-architecture)"
cache="${PGHA_CACHE_DIR:-${HOME}/.cache/pgha.patroni}"
name="etcd-v${version}-linux-${arch}"
target="${cache}/${name}.tar.gz"

if [ -f "${target}" ] && [ -f "${target}.sha256" ] \
   && [ "$(sha256sum "${target}" | cut -d' ' -f1)" = "$(cat "${target}.sha256")" ]; then
  echo "lab: ${target} present and verified"
  exit 0
fi
mkdir -p "${cache}"

mirror="$("$(dirname "$0")/mirror.sh")"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${work}/sources.list.d" "${work}/lists/partial" "${work}/root/${name}"
# A private apt configuration for the other suite; the machine's own is untouched.
echo "deb ${mirror} ${suite} main" > "${work}/sources.list.d/etcd.list"
apt_opts=(-o "Dir::Etc::SourceParts=${work}/sources.list.d" -o "Dir::Etc::SourceList=/dev/null"
          -o "Dir::State::Lists=${work}/lists" -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -qq >/dev/null
(cd "${work}" && apt-get "${apt_opts[@]}" download -qq "etcd-server/${suite}" "etcd-client/${suite}"  >/dev/null)
for deb in "${work}"/etcd-server_*.deb "${work}"/etcd-client_*.deb; do
  [ -f "${deb}" ] || { echo "lab: apt did not deliver etcd-server and etcd-client from ${suite}" >&2; exit 1; }
  dpkg-deb -x "${deb}" "${work}/x"
done
got="$("${work}/x/usr/bin/etcd" --version | awk '/etcd Version/ {print $3}')"
if [ "${got}" != "${version}" ]; then
  echo "lab: ${suite} carries etcd ${got}, not ${version}; set PGHA_ETCD_VERSION=${got} and etcd_version to match" >&2
  exit 1
fi
for b in etcd etcdctl etcdutl; do
  install -m 0755 "${work}/x/usr/bin/${b}" "${work}/root/${name}/${b}"
done
tar -C "${work}/root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "${name}" \
  | gzip -n > "${target}.tmp"
mv "${target}.tmp" "${target}"
sha256sum "${target}" | cut -d' ' -f1 > "${target}.sha256"
echo "lab: made ${target} from ${suite}'s etcd-server and etcd-client ${version}"
