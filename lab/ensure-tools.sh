#!/usr/bin/env bash
# Make sure the controller has the commands the lab and the tests call.
# On Debian as root, missing ones are installed from the distribution;
# elsewhere, say which package to install and stop.
#   lab/ensure-tools.sh [command ...]   (default: every command the lab needs)
set -euo pipefail

# command -> Debian package
declare -A pkg=(
  [dockerd]=docker.io [docker]=docker.io [debootstrap]=debootstrap
  [ssh]=openssh-client [ssh-keygen]=openssh-client [git]=git [tar]=tar
  [bzip2]=bzip2 [make]=make
)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(docker dockerd debootstrap ssh ssh-keygen git tar bzip2)

missing=()
for c in "${wanted[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("${pkg[$c]:-$c}")
done
[ ${#missing[@]} -gt 0 ] || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  echo "lab: missing commands; install the packages ${missing[*]} (Debian names) and run again." >&2
  exit 1
fi
echo "lab: installing ${missing[*]} from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  # A new machine may have no package lists yet.
  apt-get update -qq
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
