#!/usr/bin/env bash
# Creates the Node base image deploy/Dockerfile builds FROM (node:20-bookworm-slim)
# where it cannot be pulled: the Debian base (deploy/base-image.sh) plus this
# machine's own Node 20 (binary, npm, headers for native modules), laid out as the
# official image lays them out (/usr/local, a `node` user with uid 1000).
# Idempotent: does nothing when the image already exists. Needs Docker and Node 20.
set -euo pipefail
IMAGE="${1:-node:20-bookworm-slim}"
BASE="${MAI_DEBIAN_IMAGE:-debian:bookworm-slim}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE already present"
  exit 0
fi
docker image inspect "$BASE" >/dev/null 2>&1 || { echo "$BASE is missing: run deploy/base-image.sh first" >&2; exit 1; }
node="$(readlink -f "$(command -v node)")"
major="$("$node" -p 'process.versions.node.split(".")[0]')"
[ "$major" = 20 ] || { echo "this machine's Node is $("$node" --version), not 20" >&2; exit 1; }
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
headers="$(dirname "$(dirname "$node")")/include/node"   # /usr/bin/node -> /usr/include/node
[ -f "$npm_dir/bin/npm-cli.js" ] || { echo "npm not found beside $node" >&2; exit 1; }
[ -f "$headers/node.h" ] || { echo "Node's headers not found in $headers (native modules need them)" >&2; exit 1; }

ctx="$(mktemp -d /tmp/mai-node-base.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT
cp "$node" "$ctx/node"
cp -a "$npm_dir" "$ctx/npm"
cp -a "$headers" "$ctx/include"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$("$node" -p 'process.versions.node')
LABEL org.opencontainers.image.description="stand-in for the official $IMAGE, made by mai's deploy/node-base-image.sh"
CMD ["node"]
EOF
echo "building $IMAGE from $BASE and $node ($("$node" --version))..."
docker build -q -t "$IMAGE" "$ctx" >/dev/null
echo "built $IMAGE"
