#!/bin/sh
# Guest side of src/lab/swap-ids.lab.test.ts and of `lab.sh swap-ids` (the full fill): a small swap
# file on the ext4 disk, then `cgleak repro --mode swap-ids`; FILL=1 also fills the ID space to
# the cap to count the IDs the swap-pinned dying memcgs hold. Everything lands in $LAB_OUT.
set -e
OUT=$LAB_OUT N=${N:-20}
stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >> "$OUT/times"; }
uname -r > "$OUT/uname"
stamp start
find /sys/fs/cgroup -mindepth 1 -type d | sort > "$OUT/dirs.start"
# The swap file: written out in full (a swap file must have no holes), 32 MiB is plenty.
dd if=/dev/zero of="$LAB_EXT4/swap" bs=1M count="${SWAP_MB:-32}" 2>/dev/null
chmod 600 "$LAB_EXT4/swap"; mkswap "$LAB_EXT4/swap" >/dev/null; swapon "$LAB_EXT4/swap"
cat /proc/swaps > "$OUT/swaps"
stamp swapon
fill=""; [ "${FILL:-0}" = 1 ] && fill=--i-understand-this-blocks-the-node
node dist/cli/cgleak.cjs repro --mode swap-ids -n "$N" --yes --json $fill > "$OUT/repro.json" 2> "$OUT/repro.err" || echo $? > "$OUT/repro.rc"
stamp repro
find /sys/fs/cgroup -mindepth 1 -type d | sort > "$OUT/dirs.end"
sed -n 's/^nr_dying_descendants //p' /sys/fs/cgroup/cgroup.stat > "$OUT/dying.end"
