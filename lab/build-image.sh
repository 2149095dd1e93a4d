#!/usr/bin/env bash
# Build the lab's systemd base image with debootstrap and 'docker import'.
# Skipped when the image exists. No registry is needed.
#   lab/build-image.sh [trixie|bookworm]
set -euo pipefail

suite="${1:-${PGHA_SUITE:-trixie}}"
image="${PGHA_IMAGE:-pgha-systemd:${suite}}"

if docker image inspect "${image}" >/dev/null 2>&1; then
  echo "lab: image ${image} exists, not rebuilt"
  exit 0
fi

case "${suite}" in
  trixie|bookworm) ;;
  *) echo "lab: suite must be trixie or bookworm, not '${suite}'" >&2; exit 2 ;;
esac

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && [ -r /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  else
    echo "lab: debootstrap is missing; install it (Debian: 'apt-get install debootstrap')." >&2
    exit 1
  fi
fi

# The mirror comes from this machine's own apt configuration.
mirror="${PGHA_MIRROR:-}"
if [ -z "${mirror}" ]; then
  mirror="$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
fi
if [ -z "${mirror}" ]; then
  mirror="$(grep -h -E '^deb ' /etc/apt/sources.list 2>/dev/null \
    | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
fi
if [ -z "${mirror}" ]; then
  echo "lab: no Debian mirror found in /etc/apt; set PGHA_MIRROR" >&2
  exit 1
fi

rootfs="$(mktemp -d /var/tmp/pgha-rootfs.XXXXXX)"
trap 'rm -rf "${rootfs}"' EXIT
echo "lab: debootstrap ${suite} (this takes about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,python3,sudo,iproute2,procps,ca-certificates \
  "${suite}" "${rootfs}" "${mirror}" >/dev/null
# Containers use the same mirror for apt, over the same transport.
echo "deb ${mirror} ${suite} main" > "${rootfs}/etc/apt/sources.list"
rm -f "${rootfs}"/etc/apt/sources.list.d/*.sources
# Units that make no sense in a container.
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty.target console-getty.service systemd-firstboot.service; do
  ln -sf /dev/null "${rootfs}/etc/systemd/system/${unit}"
done
tar -C "${rootfs}" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "${image}" >/dev/null
echo "lab: built image ${image}"
