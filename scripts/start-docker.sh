#!/usr/bin/env bash
# Makes sure a Docker engine answers on this host (for --runtime docker and its tests):
# does nothing when one already runs, else starts dockerd in the background (no systemd
# needed) and waits for it, with a deadline. Run as root. The engine keeps running after.
#   scripts/start-docker.sh            log: /var/log/lvslab-dockerd.log
set -euo pipefail
if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  echo "start-docker: engine already running ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi
command -v dockerd >/dev/null || { echo "start-docker: dockerd not installed (scripts/install-deps.sh --docker)" >&2; exit 1; }
nohup dockerd >/var/log/lvslab-dockerd.log 2>&1 &
for _ in $(seq 1 150); do
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    echo "start-docker: engine $(docker version --format '{{.Server.Version}}') started"
    exit 0
  fi
  sleep 0.2
done
echo "start-docker: dockerd did not answer within 30 s; its log:" >&2
tail -20 /var/log/lvslab-dockerd.log >&2
exit 1
