#!/bin/sh
# Guest side of src/lab/pins-v2.lab.test.ts: dying memcgs below live ones at depths 1-3 (a live
# pod's dying container, a dying container three levels down, a dying pod with its dying
# container), each memory.stat saved just before its removal; then cgleak scan.
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 T=$LAB_TMPFS OUT=$LAB_OUT
inside() { cg=$1; shift; sh -c "echo \$\$ > $CG/$cg/cgroup.procs && $*"; }
# A parent with +memory in its subtree_control, so its children are memcgs.
parent() { mkdir -p "$CG/$1"; echo +memory > "$CG/$1/cgroup.subtree_control"; }
# Writes in a new leaf $1 (its memory.stat is saved under $2 later, once the stats are flushed).
leaf() { mkdir "$CG/$1"; inside "$1" "$3"; }

for i in $(seq 1 64); do echo x > "$E/warm$i"; done; sync; rm "$E"/warm*; sync

parent lab-d; parent lab-d/pod; parent lab-d/a; parent lab-d/a/b; parent lab-d/podx
leaf lab-d/pod/live live "dd if=/dev/zero of=$E/live bs=32k count=1 2>/dev/null"
leaf lab-d/pod/c1 c1 "dd if=/dev/zero of=$T/c1 bs=64k count=1 2>/dev/null"
leaf lab-d/a/b/c3 c3 "dd if=/dev/zero of=$E/c3 bs=64k count=1 2>/dev/null"
leaf lab-d/podx/cx cx "dd if=/dev/zero of=$E/cx bs=64k count=1 2>/dev/null && dd if=/dev/zero of=$T/cx bs=64k count=1 2>/dev/null"
# memcg stats are flushed in full every 2 s (a small change is not flushed by a read).
sleep 3
for x in pod/live:live pod/c1:c1 a/b/c3:c3 podx/cx:cx; do cp "$CG/lab-d/${x%%:*}/memory.stat" "$OUT/stat.${x#*:}"; done
rmdir $CG/lab-d/pod/c1 $CG/lab-d/a/b/c3 $CG/lab-d/podx/cx $CG/lab-d/podx
sleep 3
node dist/cli/cgleak.cjs scan --json --host-root / > "$OUT/scan.json" || echo "scan rc=$?" > "$OUT/scan.rc"
