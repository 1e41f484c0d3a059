#!/usr/bin/env bash
# Builds the Dockerfile, unchanged, with podman against the local stand-ins for its public bases
# (image/make-base.sh makes them when absent). Prints the image name.
# Usage: image/build.sh [IMAGE]   (root; default localhost/cgleak:dev)
set -euo pipefail
# podman (cgroupfs) leaves empty libpod_parent(/conmon) cgroups in every v1 hierarchy, and the build
# an empty buildah-buildah<N> in each: rmdir removes them only when empty (never one in use).
trap 'rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/buildah-buildah* 2>/dev/null || true' EXIT
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-localhost/cgleak:dev}
for base in docker.io/library/debian:bookworm-slim docker.io/library/node:20-bookworm-slim; do
  podman image exists "$base" || { bash "$here/make-base.sh" >/dev/null; break; }
done

# A TLS-intercepting proxy's CA (this CI's egress) reaches npm inside the build as a read-only
# mount named by a build argument: nothing of it lands in a layer or in the Dockerfile.
ca=()
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
  ca=(-v "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi
podman build --quiet --pull=never --cgroup-manager=cgroupfs --network=host \
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "${ca[@]}" \
  -t "$image" "$here/.." >/dev/null
echo "$image"
