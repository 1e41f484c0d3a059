#!/bin/sh
# Guest side of src/lab/scan-v2.lab.test.ts: makes live and dying memcgs whose numbers the test
# knows, records what the kernel says, then runs cgleak scan. Everything lands in $LAB_OUT.
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 T=$LAB_TMPFS OUT=$LAB_OUT
# Runs a shell command as a child that joins cgroup $1; the runner itself stays in the root.
inside() { cg=$1; shift; sh -c "echo \$\$ > $CG/$cg/cgroup.procs && $*"; }

# Warm ext4's metadata (inode table, directory, bitmaps) from the root, so a dying memcg is
# charged its 64 KiB of file data and nothing else: the pinned bytes are then exact.
for i in $(seq 1 64); do echo x > "$E/warm$i"; done; sync; rm "$E"/warm*; sync

mkdir $CG/lab-a $CG/lab-b $CG/lab-c
echo +memory > $CG/lab-a/cgroup.subtree_control
echo +memory > $CG/lab-b/cgroup.subtree_control
for i in 1 2 3; do mkdir $CG/lab-a/live$i; done
for i in 1 2; do mkdir $CG/lab-b/live$i; done
# Live children hold pages of their own, which the scan must not count as pinned.
inside lab-a/live1 "dd if=/dev/zero of=$E/live1 bs=32k count=1 2>/dev/null"
inside lab-b/live1 "dd if=/dev/zero of=$T/live1 bs=16k count=1 2>/dev/null"
# Dying memcgs: ${DYING_EXT4} pinned by dirty ext4 page cache, ${DYING_TMPFS} by tmpfs files.
for i in $(seq 1 "$DYING_EXT4"); do
  mkdir $CG/lab-a/dying$i
  inside lab-a/dying$i "dd if=/dev/zero of=$E/dying$i bs=64k count=1 2>/dev/null"
  rmdir $CG/lab-a/dying$i
done
for i in $(seq 1 "$DYING_TMPFS"); do
  mkdir $CG/lab-b/dying$i
  inside lab-b/dying$i "dd if=/dev/zero of=$T/dying$i bs=64k count=1 2>/dev/null"
  rmdir $CG/lab-b/dying$i
done
# A dying cgroup that is not a memcg (lab-c has no +memory below it): its only task is a
# zombie that nobody reaps, so it stays dying. nr_dying_descendants counts it, the memory
# controller's nr_dying_subsys_memory (6.12+) does not; its pids and cpu csses (and the implicit
# perf_event one) stay dying with it: nr_dying_subsys_pids, _cpu, _perf_event.
echo "+pids +cpu" > $CG/cgroup.subtree_control
echo "+pids +cpu" > $CG/lab-c/cgroup.subtree_control
mkdir $CG/lab-c/z
sh "$LAB_FILES/zombie.sh" $CG/lab-c/z &
while ! grep -q 'populated 0' $CG/lab-c/z/cgroup.events || [ -z "$(ls /proc/$!/task 2>/dev/null)" ]; do sleep 0.1; done
sleep 0.5
rmdir $CG/lab-c/z

for d in "" lab-a lab-b lab-c; do cat $CG/$d/cgroup.stat > "$OUT/cgroup.stat.${d:-root}"; done
grep memory /proc/cgroups > "$OUT/proc-cgroups-memory"
node dist/cli/cgleak.cjs scan --json --host-root / > "$OUT/scan.json" || echo "scan rc=$?" > "$OUT/scan.rc"
for d in "" lab-a lab-b lab-c; do cat $CG/$d/cgroup.stat > "$OUT/cgroup.stat.after.${d:-root}"; done
find $CG -mindepth 1 -type d | sed "s|^$CG/||" | sort > "$OUT/dirs"

# What frees dying memcgs on v2 (design/v2-qemu-lab.md §3, which the kernel model cites):
# dropping page cache alone frees none; the ext4 ones go when both their pages and the inodes they
# wrote are gone (sync; echo 3: echo 2 alone leaves inodes that still have pages, lab/actions-v2);
# tmpfs ones go only when their files are deleted.
dying() { sed -n 's/^nr_dying_descendants //p' "$CG/$1/cgroup.stat"; }
# Freeing is asynchronous: wait up to 5 s for cgroup $1's dying count to reach $2, print it.
settle() { i=0; while [ "$(dying "$1")" != "$2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; dying "$1"; }
echo 1 > /proc/sys/vm/drop_caches; sleep 2
echo "$(dying lab-a) $(dying lab-b)" > "$OUT/free.drop1"
sync; echo 3 > /proc/sys/vm/drop_caches
echo "$(settle lab-a 0) $(dying lab-b)" > "$OUT/free.sync-drop3"
rm "$T"/dying*
echo "$(dying lab-a) $(settle lab-b 0)" > "$OUT/free.rm-tmpfs"
node dist/cli/cgleak.cjs scan --json --host-root / > "$OUT/scan.after-free.json" || echo "scan rc=$?" > "$OUT/scan.rc"
