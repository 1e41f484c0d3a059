#!/usr/bin/env bash
# Prints the path of a real kustomize binary, fetching it once into a cache dir.
# Debian bookworm has no kustomize; trixie packages it. Its .deb is downloaded with a private apt
# configuration (own sources list, lists and archives dirs, the system's Debian keyring): trixie
# is never added to the system's sources and nothing is installed.
# CGLEAK_KUSTOMIZE_CACHE (default .cache/kustomize in the repository) holds the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CGLEAK_KUSTOMIZE_CACHE:-$PWD/.cache/kustomize}
BIN=$CACHE/kustomize
if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/deb"
cat >"$tmp/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_private=(
  -o "Dir::Etc::sourcelist=-" -o "Dir::Etc::sourceparts=$tmp" -o "Dir::State::Lists=$tmp/lists"
  -o "Dir::Cache::archives=$tmp/archives" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Get::List-Cleanup=false" -o "Debug::NoLocking=true" -o "APT::Sandbox::User=root"
)
apt-get -qq "${apt_private[@]}" update >&2
(cd "$tmp/deb" && apt-get -qq "${apt_private[@]}" download kustomize >&2)
deb=$(ls "$tmp"/deb/kustomize_*.deb)
dpkg-deb -x "$deb" "$tmp/root"
mkdir -p "$CACHE"
install -m 0755 "$tmp/root/usr/bin/kustomize" "$BIN.new"
mv "$BIN.new" "$BIN"
echo "$(basename "$deb")" >"$CACHE/source"
echo "$BIN"
