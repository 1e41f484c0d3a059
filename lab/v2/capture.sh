#!/usr/bin/env bash
# `npm run lab:capture`: boots each lab kernel once, builds the kubepods-like tree of
# lab/v2/scenarios/kubepods.sh and stores what cgleak reads as fixture hosts under testdata/hosts/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
for series in "${@:-6.12 6.1}"; do for k in $series; do
  tmp=$(mktemp -d)
  "$HERE/lab.sh" run "$k" --files "$HERE/scenarios" --out "$tmp" -- 'sh $LAB_FILES/kubepods.sh'
  [ -f "$tmp/host/proc/sys/kernel/osrelease" ] || { echo "capture on $k brought nothing back" >&2; exit 1; }
  dest="$REPO/testdata/hosts/v2-debian-$k-kubepods"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"; cp -r "$tmp/host" "$dest"; rm -rf "$tmp"
  echo "captured $(cat "$dest/proc/sys/kernel/osrelease") into ${dest#$REPO/} ($(find "$dest" -type f | wc -l) files)" >&2
done; done
