#!/bin/sh
# Guest side of `npm run lab:capture`: a kubelet-like systemd cgroup tree with live pods and
# deleted ones still dying (pinned by ext4 page cache or by tmpfs), then a verbatim copy of every
# file cgleak reads into $LAB_OUT/host/. src/lab/fixtures-v2.test.ts knows these counts.
set -e
CG=/sys/fs/cgroup E=$LAB_EXT4 T=$LAB_TMPFS OUT=$LAB_OUT
CTRL="+cpu +memory +pids"
echo "$CTRL" > $CG/cgroup.subtree_control
uuid() { cat /proc/sys/kernel/random/uuid; }
scope() { echo "cri-containerd-$(uuid)$(uuid).scope" | tr -d -- - | sed 's/^cricontainerd/cri-containerd-/'; }
slice() { mkdir "$CG/$1"; echo "$CTRL" > "$CG/$1/cgroup.subtree_control"; }
# A process that stays in cgroup $1: a service's or a container's main process.
daemon() { sh -c "echo \$\$ > $CG/$1/cgroup.procs && exec sleep 3600" & }
# A process in cgroup $1 that writes $3 KiB to file $2 and exits, leaving the pages charged there.
writes() { sh -c "echo \$\$ > $CG/$1/cgroup.procs && dd if=/dev/zero of=$2 bs=1k count=$3 2>/dev/null"; }
podslice() {
  id=$(uuid | tr - _)
  if [ "$1" = guaranteed ]; then echo "kubepods.slice/kubepods-pod$id.slice"
  else echo "kubepods.slice/kubepods-$1.slice/kubepods-$1-pod$id.slice"; fi
}
# live_pod QOS N: a pause sandbox and N running containers that wrote 64 KiB of logs on ext4.
live_pod() {
  P=$(podslice "$1"); slice "$P"
  c=$P/$(scope); mkdir "$CG/$c"; daemon "$c"
  for i in $(seq 1 "$2"); do
    c=$P/$(scope); mkdir "$CG/$c"; writes "$c" "$E/$(basename "$c").log" 64; daemon "$c"
  done
}
# dead_pod QOS N FS: a deleted pod whose sandbox and N containers each left 64 KiB on FS
# (ext4 page cache or tmpfs); its scopes and slice are removed and stay dying.
dead_pod() {
  P=$(podslice "$1"); slice "$P"
  for i in $(seq 0 "$2"); do c=$P/$(scope); mkdir "$CG/$c"; writes "$c" "$3/$(basename "$c").log" 64; rmdir "$CG/$c"; done
  rmdir "$CG/$P"
}

# Metadata warm-up from the root, so dying groups are charged their file data only: inode table,
# bitmaps, and directory blocks big enough for the long log names (ext4 never shrinks a directory).
for i in $(seq 1 64); do echo x > "$E/warm-$(printf %090d "$i")"; done; sync; rm "$E"/warm-*; sync

mkdir $CG/init.scope; daemon init.scope
slice system.slice
for s in containerd kubelet systemd-journald; do mkdir "$CG/system.slice/$s.service"; daemon "system.slice/$s.service"; done
writes system.slice/systemd-journald.service "$E/journal" 256
slice user.slice
slice kubepods.slice
slice kubepods.slice/kubepods-burstable.slice
slice kubepods.slice/kubepods-besteffort.slice

live_pod burstable 2
# A container that exited and was never removed: an empty, live memcg.
mkdir "$CG/$P/$(scope)"
live_pod burstable 2
live_pod burstable 2
live_pod besteffort 1
live_pod besteffort 1
live_pod guaranteed 1
for i in 1 2 3; do dead_pod burstable 1 "$E"; done
for i in 1 2; do dead_pod besteffort 1 "$T"; done
dead_pod guaranteed 2 "$E"

# The copy: every cgroup directory with the files cgleak reads, and the /proc files.
for d in $(find $CG -type d); do
  dst=$OUT/host$d; mkdir -p "$dst"
  for f in cgroup.stat cgroup.events cgroup.controllers cgroup.subtree_control cgroup.procs memory.stat memory.current; do
    if [ -e "$d/$f" ]; then cat "$d/$f" > "$dst/$f"; fi
  done
done
mkdir -p $OUT/host/proc/1 $OUT/host/proc/self $OUT/host/proc/sys/kernel
for f in cgroups cmdline meminfo filesystems 1/mountinfo self/mountinfo sys/kernel/osrelease; do cat "/proc/$f" > "$OUT/host/proc/$f"; done
