#!/usr/bin/env bash
# Creates the Debian base image the driver Dockerfiles build FROM, without pulling:
# debootstrap a minimal bookworm and `docker import` it. Idempotent: does nothing
# when the image already exists. Needs root, debootstrap and a running Docker.
set -euo pipefail
IMAGE="${1:-debian:bookworm-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

root="$(mktemp -d /tmp/mai-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "debootstrapping bookworm into $root (a few minutes)..."
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >/tmp/mai-debootstrap.log 2>&1 \
  || { tail -20 /tmp/mai-debootstrap.log >&2; exit 1; }
# Slim it like the official -slim image: no apt lists, no docs, no caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*
tar -C "$root" -c . | docker import \
  -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
echo "imported $IMAGE"
