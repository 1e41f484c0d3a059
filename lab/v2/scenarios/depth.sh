#!/bin/sh
# Guest side of src/lab/pins-v2.lab.test.ts: dying memcgs 1-3 levels below their nearest live
# ancestor, under live pods (beside a live container with pages of its own) and under dying pods,
# holding ext4 page cache, tmpfs or both; each leaf's memory.stat saved just before its removal;
# then cgleak scan. Every case has its own live ancestor, so each amount is checked alone.
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 T=$LAB_TMPFS OUT=$LAB_OUT
inside() { cg=$1; shift; sh -c "echo \$\$ > $CG/$cg/cgroup.procs && $*"; }
# A parent with +memory in its subtree_control, so its children are memcgs.
parent() { for p in "$@"; do mkdir -p "$CG/$p"; echo +memory > "$CG/$p/cgroup.subtree_control"; done; }
# Writes in a new leaf $1 (its memory.stat is saved later, once the stats are flushed).
leaf() { mkdir "$CG/$1"; inside "$1" "$2"; }
ext4() { echo "dd if=/dev/zero of=$E/$1 bs=64k count=${2:-1} 2>/dev/null"; }
tmpfs() { echo "dd if=/dev/zero of=$T/$1 bs=64k count=1 2>/dev/null"; }

for i in $(seq 1 64); do echo x > "$E/warm$i"; done; sync; rm "$E"/warm*; sync

parent lab-d lab-d/pod lab-d/pod2 lab-d/pod2/c lab-d/pod3 lab-d/pod3/c lab-d/pod3/c/x
parent lab-d/a lab-d/a/b lab-d/podx lab-d/q lab-d/q/podz lab-d/q/podz/cz
# Live pods: a live container with pages of its own, and a dying container 1, 2 or 3 levels down.
for p in pod pod2 pod3; do leaf lab-d/$p/live "dd if=/dev/zero of=$E/live-$p bs=32k count=1 2>/dev/null"; done
leaf lab-d/pod/c1 "$(tmpfs c1)"
leaf lab-d/pod2/c/x2 "$(ext4 x2)"
leaf lab-d/pod3/c/x/y3 "$(ext4 y3 2) && $(tmpfs y3)"
# Live parents with no pod: three levels down.
leaf lab-d/a/b/c3 "$(ext4 c3)"
# Dying pods: the pod and its container (2 levels), and a container with a cgroup of its own (3).
leaf lab-d/podx/cx "$(ext4 cx 2) && $(tmpfs cx)"
leaf lab-d/q/podz/cz/sub "$(tmpfs sub)"
# memcg stats are flushed in full every 2 s (a small change is not flushed by a read).
sleep 3
for x in pod/live:live pod/c1:c1 pod2/c/x2:x2 pod3/c/x/y3:y3 a/b/c3:c3 podx/cx:cx q/podz/cz/sub:sub; do
  cp "$CG/lab-d/${x%%:*}/memory.stat" "$OUT/stat.${x#*:}"
done
for d in pod/c1 pod2/c/x2 pod2/c pod3/c/x/y3 pod3/c/x pod3/c a/b/c3 podx/cx podx q/podz/cz/sub q/podz/cz q/podz; do
  rmdir "$CG/lab-d/$d"
done
sleep 3
node dist/cli/cgleak.cjs scan --json --host-root / > "$OUT/scan.json" || echo "scan rc=$?" > "$OUT/scan.rc"
