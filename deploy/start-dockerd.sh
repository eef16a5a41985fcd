#!/usr/bin/env bash
# Starts dockerd in the background when no engine answers, and waits for its socket.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
command -v dockerd >/dev/null || { echo "dockerd missing (apt-get install docker.io)" >&2; exit 1; }
nohup dockerd >/var/log/mai-dockerd.log 2>&1 &
echo $! >/run/mai-dockerd.pid
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "dockerd up"; exit 0; }
  sleep 1
done
echo "dockerd did not start; see /var/log/mai-dockerd.log" >&2
tail -20 /var/log/mai-dockerd.log >&2
exit 1
