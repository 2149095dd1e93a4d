#!/usr/bin/env bash
# Build the lab's systemd base image with debootstrap and 'docker import'.
# Skipped when the image exists. No registry is needed. The image carries
# systemd, python3, sudo and openssh-server, like a minimal cloud image, and
# the distribution packages the roles install (issue 31: each converge would
# otherwise download and unpack them again, about 90 s per lab). The roles
# still run their install tasks; they find the packages and move on, and
# install whatever this list misses.
#   lab/build-image.sh [trixie|bookworm]
set -euo pipefail

suite="${1:-${PGHA_SUITE:-trixie}}"
image="${PGHA_IMAGE:-pgha-lab:${suite}}"

# Bump when the image's content changes: an older image is rebuilt.
revision=5
if [ "$(docker image inspect -f '{{ index .Config.Labels "pgha.image.revision" }}' "${image}" 2>/dev/null)" = "${revision}" ]; then
  echo "lab: image ${image} (revision ${revision}) exists, not rebuilt"
  exit 0
fi

case "${suite}" in
  trixie|bookworm) ;;
  *) echo "lab: suite must be trixie or bookworm, not '${suite}'" >&2; exit 2 ;;
esac

"$(dirname "$0")/ensure-tools.sh" debootstrap

# The mirror comes from this machine's own apt configuration.
mirror="$("$(dirname "$0")/mirror.sh")"

rootfs="$(mktemp -d /var/tmp/pgha-rootfs.XXXXXX)"
trap 'rm -rf "${rootfs}"' EXIT
echo "lab: debootstrap ${suite} (this takes about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,python3,sudo,iproute2,procps,ca-certificates,openssh-server \
  "${suite}" "${rootfs}" "${mirror}" >/dev/null
# Containers use the same mirror for apt, over the same transport.
echo "deb ${mirror} ${suite} main" > "${rootfs}/etc/apt/sources.list"
rm -f "${rootfs}"/etc/apt/sources.list.d/*.sources

# The packages of the roles' defaults (etcd_packages on Debian 13, where the
# lab takes etcd from the distribution; haproxy_package_name,
# keepalived_packages, patroni_os_packages, pgbackrest_package, pgbouncer_package,
# databases_driver_package,
# vip_callback_packages; the runtime libraries of the PostgreSQL build and
# its build dependencies, roles/postgresql/vars/main.yml). Installed with
# every service kept stopped (policy-rc.d) and etcd left disabled: a host
# gets its etcd from the etcd role, configured, never the package's
# single-node default.
packages=(haproxy keepalived curl procps python3-venv python3-packaging pgbackrest iputils-arping pgbouncer python3-psycopg2
          gcc make libreadline-dev zlib1g-dev libicu-dev pkg-config bzip2 libssl-dev tar gzip)
[ "${suite}" = trixie ] && packages+=(etcd-server etcd-client)
printf '#!/bin/sh\nexit 101\n' > "${rootfs}/usr/sbin/policy-rc.d"
chmod 0755 "${rootfs}/usr/sbin/policy-rc.d"
echo "lab: installing the roles' packages into the image (${#packages[@]})"
chroot "${rootfs}" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null && apt-get clean' \
  sh "${packages[@]}"
# etcd disabled the way `systemctl disable` leaves it: its wants link and its
# alias (etcd2.service) both gone. With the alias left, `systemctl is-enabled
# etcd` says "indirect", Ansible's systemd_service counts that as enabled, and
# etcd did not start after a reboot (the power-cycle drill found it).
rm -f "${rootfs}/usr/sbin/policy-rc.d" "${rootfs}"/etc/systemd/system/multi-user.target.wants/etcd.service \
  "${rootfs}"/etc/systemd/system/etcd2.service
# PgBouncer likewise: only where the pgbouncer role configures and enables it.
rm -f "${rootfs}"/etc/systemd/system/multi-user.target.wants/pgbouncer.service
rm -rf "${rootfs}"/var/lib/apt/lists/*
# Units that make no sense in a container.
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty.target console-getty.service systemd-firstboot.service; do
  ln -sf /dev/null "${rootfs}/etc/systemd/system/${unit}"
done
# SSH like a real host: each container makes its own host keys when sshd
# first starts (none are baked into the image); the lab's controller key and
# its admin user are put in by molecule's prepare step
# (molecule/shared/prepare.yml).
rm -f "${rootfs}"/etc/ssh/ssh_host_*
mkdir -p "${rootfs}/etc/systemd/system/ssh.service.d"
cat > "${rootfs}/etc/systemd/system/ssh.service.d/pgha-hostkeys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
ln -sf /lib/systemd/system/ssh.service "${rootfs}/etc/systemd/system/multi-user.target.wants/ssh.service"
tar -C "${rootfs}" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' \
  -c "LABEL pgha.image.revision=${revision}" - "${image}" >/dev/null
echo "lab: built image ${image}"
