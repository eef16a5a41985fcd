#!/bin/sh
# Entrypoint of the server image. Started as root (the default) only to let the
# unprivileged user `mai` reach the mounted Docker socket: `mai` gets the socket's
# group, whatever GID the host gave it, the data dir becomes `mai`'s, and the
# command runs as `mai` with no capabilities and no way to regain any.
# Started as another user (compose `user:`), it runs the command as it is.
# Mind that the socket is root on the host for whoever holds it: this limits what
# a flaw in the server can do inside its container, not what it can do to the host.
set -eu
if [ "$(id -u)" != 0 ]; then exec "$@"; fi

socket="${MAI_DOCKER_SOCKET:-/var/run/docker.sock}"
data="${MAI_DATA_DIR:-/var/lib/mai}"
groups="$(id -g mai)"
if [ -S "$socket" ]; then groups="$groups,$(stat -c %g "$socket")"; fi
mkdir -p "$data"
# Only what is not mai's yet: a new volume, or data of a server that ran as root.
find "$data" ! -user mai -exec chown mai:mai {} +
exec setpriv --reuid=mai --regid=mai --groups="$groups" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
