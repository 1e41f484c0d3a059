#!/bin/sh
# Guest side of src/lab/actions-v2.lab.test.ts: runs cgleak repro, reclaim and trace on a real v2
# kernel and records, next to each report, what the kernel itself says. Everything lands in $LAB_OUT.
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 T=$LAB_TMPFS OUT=$LAB_OUT N=${N:-10}
# A command's stdout to $OUT/$1.json, stderr to $1.err, a failing exit code to $1.rc.
cli() { name=$1; shift; node dist/cli/cgleak.cjs "$@" > "$OUT/$name.json" 2> "$OUT/$name.err" || echo $? > "$OUT/$name.rc"; }
inside() { cg=$1; shift; sh -c "echo \$\$ > $CG/$cg/cgroup.procs && $*"; }
dying() { sed -n 's/^nr_dying_descendants //p' "$CG/$1/cgroup.stat"; }
file() { sed -n 's/^file //p' "$CG/$1/memory.stat"; }
# Freeing is asynchronous: wait up to 5 s for cgroup $1's dying count to reach $2.
settle() { i=0; while [ "$(dying "$1")" != "$2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }
# $1 = parent, $2 = how many children, $3 = directory: each child writes one 64 KiB file there and is removed.
pinned() {
  mkdir "$CG/$1"; echo +memory > "$CG/$1/cgroup.subtree_control"; mkdir -p "$3"
  for i in $(seq 1 "$2"); do
    mkdir "$CG/$1/c$i"; inside "$1/c$i" "dd if=/dev/zero of=$3/f$i bs=64k count=1 2>/dev/null"; rmdir "$CG/$1/c$i"
  done
}
uname -r > "$OUT/uname"
# Guest uptime at each step: the test reports where the time goes.
stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >> "$OUT/times"; }
stamp start
find $CG -mindepth 1 -type d | sort > "$OUT/dirs.start"
cp /proc/mounts "$OUT/mounts.start"

# repro: the guest's /tmp is the initramfs, so page-cache must refuse until TMPDIR is on disk.
cli repro.memtmp repro --mode page-cache -n 2 --yes --json
mkdir -p "$E/tmp"; export TMPDIR=$E/tmp
stamp repro-memtmp
# (rm of the files is shown by the shmem run, where it is the only thing that frees them)
cli repro.page-cache repro --mode page-cache -n "$N" --actions drop-page-cache,drop-caches,memory-reclaim --yes --json
stamp repro-page-cache
# (memory.reclaim on tmpfs is the reclaim part's)
cli repro.shmem repro --mode shmem -n "$N" --actions delete-files,drop-caches --yes --json
stamp repro-shmem
ls -A "$E/tmp" > "$OUT/tmp.after-repro"

# reclaim: ext4's metadata (directory, inode table, bitmaps) is warmed from the root in each
# directory first, so that each dying memcg pins its own file and nothing else.
for d in mr drop t; do
  mkdir -p "$E/$d"; for i in $(seq 1 $((N + 6))); do echo x > "$E/$d/w$i"; done
done
sync; rm "$E"/*/w*; sync
dying "" > "$OUT/dying.reclaim-start"
pinned lab-shm "$N" "$T/shm"
pinned lab-mr "$N" "$E/mr"
pinned lab-drop "$N" "$E/drop"
# memory.stat lags up to 2 s: the kernel flushes memcg stats every 2 s, on read only past a threshold.
sync; sleep 2.1
for d in lab-shm lab-mr lab-drop; do echo "$(dying $d) $(file $d)" > "$OUT/before.$d"; done
cli reclaim.shm reclaim --memory-reclaim $CG/lab-shm 64M --json
cli reclaim.mr reclaim --memory-reclaim $CG/lab-mr 64M --json
cli reclaim.drop reclaim --drop-caches --yes --json
for d in lab-shm lab-mr lab-drop; do echo "$(dying $d) $(file $d)" > "$OUT/after.$d"; done
dying "" > "$OUT/dying.reclaim-end"
rm -r "$T/shm" "$E/mr" "$E/drop"; sync; echo 3 > /proc/sys/vm/drop_caches
for d in lab-shm lab-mr lab-drop; do settle $d 0; rmdir $CG/$d; done

stamp reclaim
# trace: started first; once its first report is out, memcgs with and without pages come and go.
node dist/cli/cgleak.cjs trace --json --duration 5s --interval 1s > "$OUT/trace.jsonl" 2> "$OUT/trace.err" &
tp=$!
i=0; while [ ! -s "$OUT/trace.jsonl" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir $CG/lab-t; echo +memory > $CG/lab-t/cgroup.subtree_control; mkdir -p "$E/t" "$T/t"
for i in 1 2; do
  mkdir $CG/lab-t/ext$i; inside lab-t/ext$i "dd if=/dev/zero of=$E/t/f$i bs=64k count=1 2>/dev/null"; rmdir $CG/lab-t/ext$i
  mkdir $CG/lab-t/shm$i; inside lab-t/shm$i "dd if=/dev/zero of=$T/t/f$i bs=64k count=1 2>/dev/null"; rmdir $CG/lab-t/shm$i
  mkdir $CG/lab-t/ran$i; inside lab-t/ran$i "true"; rmdir $CG/lab-t/ran$i
  mkdir $CG/lab-t/empty$i; rmdir $CG/lab-t/empty$i
done
echo "$(date +%s)" > "$OUT/trace.made"
wait $tp || echo $? > "$OUT/trace.rc"
echo "$(dying lab-t) $(dying "")" > "$OUT/trace.kernel-dying"
grep tracefs /proc/mounts > "$OUT/trace.mounts-after" || true
mkdir -p /tmp/tr && mount -t tracefs nodev /tmp/tr && ls -A /tmp/tr/instances > "$OUT/trace.instances-after"; umount /tmp/tr
rm -r "$E/t" "$T/t"; sync; echo 3 > /proc/sys/vm/drop_caches; settle lab-t 0; rmdir $CG/lab-t

stamp trace
find $CG -mindepth 1 -type d | sort > "$OUT/dirs.end"
cp /proc/mounts "$OUT/mounts.end"
ls -A "$E/tmp" > "$OUT/tmp.end"
stamp end
