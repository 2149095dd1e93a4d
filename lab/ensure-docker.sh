#!/usr/bin/env bash
# Make sure a Docker engine answers. On Debian as root: install docker.io from
# the distribution and start dockerd (there may be no init system). Elsewhere:
# say what is missing and stop.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

"$(dirname "$0")/ensure-tools.sh" docker dockerd

if [ "$(id -u)" -ne 0 ]; then
  echo "lab: dockerd is installed but not answering; start it (e.g. 'sudo systemctl start docker')." >&2
  exit 1
fi

# A daemon killed when an earlier run ended leaves its pid file behind.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  rm -f /var/run/docker.pid
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker
  else
    setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  fi
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "lab: dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
