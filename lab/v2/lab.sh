#!/usr/bin/env bash
# cgleak's cgroup v2 lab: a stock Debian kernel under qemu TCG with a busybox+node initramfs.
# Recipe and measurements: docs in lab/v2/README.md and ../shared/design/v2-qemu-lab.md.
#
#   lab.sh deps                      apt-get install what the lab needs (root)
#   lab.sh prepare [5.10] [6.1] [6.12]  download + cache kernels and the initramfs base
#   lab.sh run KERNEL [--out DIR] [--files DIR] [--timeout S] [--mem MB] -- COMMAND...
#                                    boot, run COMMAND (sh -c) in /cgleak, print its stdout;
#                                    files it writes under $LAB_OUT land in DIR
#   lab.sh swap-ids [KERNEL...]      the full swap-pinned ID fill (minutes per kernel): repro
#                                    --mode swap-ids with a swap file, filled to the memcg ID cap
#   lab.sh size | clean              cache size / remove the cache
#   CGLEAK_LAB_SMP=N (default 2) gives the guest N CPUs; CGLEAK_LAB_NUMA=K splits them and the
#   memory into K NUMA nodes (the dying-memcg cost model, docs/cost-model.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CGLEAK_LAB_CACHE:-$REPO/.lab-cache}
APT_PKGS="qemu-system-x86 busybox-static cpio e2fsprogs kmod xz-utils binutils"
# Modules the guest needs; crc32c_generic is requested by name at runtime, not in modules.dep.
MODULES="crc32c_generic ext4 virtio_pci virtio_blk"

log() { echo "cgleak-lab: $*" >&2; }
die() { log "error: $*"; exit 1; }

cmd_deps() {
  local missing=""
  for b in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio mke2fs:e2fsprogs \
           debugfs:e2fsprogs depmod:kmod xz:xz-utils strip:binutils; do
    command -v "${b%%:*}" >/dev/null || missing+=" ${b#*:}"
  done
  [ -z "$missing" ] && return 0
  log "installing$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PKGS >&2
}

# The Debian package for a kernel series: 6.1 is what linux-image-amd64 depends on (bookworm),
# 6.12 what linux-image-6.12-amd64 depends on (bookworm-backports style .deb12 builds), 5.10 what
# bullseye's linux-image-amd64 depends on (read from the lab's own bullseye list, see apt_opts).
kernel_package() {
  local meta=linux-image-amd64
  [ "$1" = 6.12 ] && meta=linux-image-6.12-amd64
  local pkg
  pkg=$(apt-cache $(apt_opts "$1") depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || die "apt-cache knows no $meta for $1 (need Debian bookworm sources; 5.10: lab.sh prepare 5.10 fetches bullseye's list)"
  case "$pkg" in linux-image-"$1".*) ;; *) die "$meta depends on $pkg, not a $1 kernel";; esac
  echo "$pkg"
}

# 5.10 is bullseye's: a sources list, package lists and download cache of the lab's own, so the
# host's apt configuration and state are neither read nor changed. The sandbox user is root
# because _apt may not write under a root-only TMPDIR or cache dir.
BULLSEYE="$CACHE/apt-bullseye"
apt_opts() {
  [ "$1" = 5.10 ] || return 0
  echo "-o Dir::Etc::sourcelist=$BULLSEYE/bullseye.list -o Dir::Etc::sourceparts=$BULLSEYE/parts.d -o Dir::State::lists=$BULLSEYE/lists" \
       "-o Dir::Cache=$BULLSEYE/cache -o Dir::State::status=/dev/null -o APT::Sandbox::User=root"
}

apt_update() {
  if [ "$1" = 5.10 ]; then
    mkdir -p "$BULLSEYE/lists/partial" "$BULLSEYE/cache/archives/partial" "$BULLSEYE/parts.d"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" > "$BULLSEYE/bullseye.list"
  fi
  apt-get $(apt_opts "$1") update -qq >&2
}

# Downloads one kernel .deb, keeps vmlinuz + the needed modules (decompressed) + config.
prepare_kernel() {
  local series=$1 dir="$CACHE/kernels/$1"
  [ -f "$dir/ready" ] && return 0
  local pkg kver work
  work=$(mktemp -d "$CACHE/tmp.XXXXXX")
  [ "$series" = 5.10 ] && [ ! -d "$BULLSEYE/lists" ] && apt_update 5.10
  pkg=$(kernel_package "$series"); kver=${pkg#linux-image-}
  log "downloading $pkg"
  # A stale package list names a version the mirror has dropped: refresh once and ask again.
  if ! (cd "$work" && apt-get $(apt_opts "$series") download -q "$pkg" >&2); then
    apt_update "$series"
    pkg=$(kernel_package "$series"); kver=${pkg#linux-image-}
    (cd "$work" && apt-get $(apt_opts "$series") download -q "$pkg" >&2) || die "cannot download $pkg"
  fi
  dpkg-deb -x "$work"/*.deb "$work/pkg"
  depmod -b "$work/pkg" "$kver"
  rm -rf "$dir"; mkdir -p "$dir/root/lib/modules"
  cp "$work/pkg/boot/vmlinuz-$kver" "$dir/vmlinuz"
  cp "$work/pkg/boot/config-$kver" "$dir/config"
  # modprobe resolves the load order (virtio_ring before virtio) and names built-ins.
  modprobe -d "$work/pkg" -S "$kver" --show-depends -a $MODULES | while read -r kind path _; do
    [ "$kind" = insmod ] || continue
    local name; name=$(basename "$path"); name=${name%.xz}; name=${name%.zst}
    # A softdep pulls crc32c-intel, which needs SSE4.2 that qemu's default CPU lacks.
    case $name in crc32c-intel.ko) continue;; esac
    grep -qx "$name" "$dir/root/lib/modules/load-order" 2>/dev/null && continue
    case "$path" in
      *.xz) xz -dc "$path" > "$dir/root/lib/modules/$name";;
      *.zst) die "zstd modules not handled: $path";;
      *) cp "$path" "$dir/root/lib/modules/$name";;
    esac
    echo "$name" >> "$dir/root/lib/modules/load-order"
  done
  (cd "$dir/root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -6 > "$dir/modules.cpio.gz")
  echo "$kver" > "$dir/kver"
  rm -rf "$work" "$dir/root"
  touch "$dir/ready"
  log "kernel $kver cached ($(du -sh "$dir" | cut -f1))"
}

# busybox + stripped node + its libraries + /init; shared by every kernel.
prepare_base() {
  local node; node=$(command -v node) || die "no node on PATH"
  local key; key=$("$node" --version)-$(stat -c %s "$node")-$(sha256sum "$HERE/init" | cut -c1-12)
  BASE="$CACHE/base-$key.cpio.gz"
  [ -f "$BASE" ] && return 0
  local root; root=$(mktemp -d "$CACHE/tmp.XXXXXX")
  mkdir -p "$root"/{bin,sbin,usr/bin,proc,sys,dev,tmp,root,lab/files,cgleak,mnt}
  cp "$(command -v busybox)" "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list); do [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"; done
  ln -sf ../bin/busybox "$root/sbin/modprobe"
  strip -o "$root/usr/bin/node" "$node"
  for lib in $(ldd "$node" | grep -o '/[^ ]*'); do mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; done
  cp "$HERE/init" "$root/init"; chmod 755 "$root/init"
  mknod "$root/dev/console" c 5 1 2>/dev/null || true
  rm -f "$CACHE"/base-*.cpio.gz
  (cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -6 > "$BASE.tmp") && mv "$BASE.tmp" "$BASE"
  rm -rf "$root"
  log "initramfs base cached ($(du -h "$BASE" | cut -f1))"
}

# The runtime node_modules cgleak's dist/ can load: the production closure, code only.
prepare_modules() {
  local key; key=$(sha256sum "$REPO/package-lock.json" | cut -c1-12)
  APPMODS="$CACHE/node_modules-$key.cpio.gz"
  [ -f "$APPMODS" ] && return 0
  local root; root=$(mktemp -d "$CACHE/tmp.XXXXXX"); mkdir -p "$root/cgleak"
  (cd "$REPO" && npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s|^$REPO/||" |
    grep -v -e '/@types/' -e 'undici-types$' -e prebuild-install |
    xargs -I{} find {} -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.json' -o -name '*.node' \) \
      ! -name '*.d.ts' ! -path '*/obj.target/*' ! -name 'test_extension.node' ! -path '*/deps/*' |
    sort -u | cpio -pdm --quiet "$root/cgleak")
  rm -f "$CACHE"/node_modules-*.cpio.gz
  (cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -6 > "$APPMODS.tmp") && mv "$APPMODS.tmp" "$APPMODS"
  rm -rf "$root"
  log "node_modules cached ($(du -h "$APPMODS" | cut -f1))"
}

cmd_prepare() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/lock"; flock 9
  local s; for s in "${@:-5.10 6.1 6.12}"; do for k in $s; do prepare_kernel "$k"; done; done
  prepare_base
  prepare_modules
  flock -u 9
}

cmd_run() {
  local series=${1:?kernel 5.10, 6.1 or 6.12}; shift
  local out="" files="" timeout=${CGLEAK_LAB_TIMEOUT:-300} mem=2048
  while [ $# -gt 0 ]; do
    case $1 in
      --out) out=$2; shift 2;; --files) files=$2; shift 2;; --timeout) timeout=$2; shift 2;; --mem) mem=$2; shift 2;;
      --) shift; break;; *) die "unknown option $1";;
    esac
  done
  [ $# -gt 0 ] || die "no command"
  [ -f "$REPO/dist/cli/cgleak.cjs" ] || log "warning: no dist/cli/cgleak.cjs (run npm run build)"
  cmd_prepare "$series"
  local kdir="$CACHE/kernels/$series"
  run=$(mktemp -d "${TMPDIR:-/tmp}/cgleak-lab.XXXXXX")
  trap 'rm -rf "$run"' EXIT
  # Per run: cgleak's dist/ and the command, appended as more cpio members (the kernel unpacks all).
  mkdir -p "$run/app/cgleak" "$run/app/lab/files"
  cp -r "$REPO/dist" "$REPO/package.json" "$run/app/cgleak/" 2>/dev/null || true
  find "$run/app/cgleak/dist" -name '*.map' -delete 2>/dev/null || true
  [ -n "$files" ] && cp -r "$files"/. "$run/app/lab/files/"
  printf '%s\n' "$*" > "$run/app/lab/cmd.sh"
  (cd "$run/app" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$run/app.cpio.gz")
  cat "$kdir/modules.cpio.gz" "$BASE" "$APPMODS" "$run/app.cpio.gz" > "$run/initrd"
  truncate -s 256M "$run/disk.img" && mke2fs -q -t ext4 -F "$run/disk.img"
  local rc=0
  boot "$kdir" "$run" "$timeout" "$mem" || rc=$?
  if [ -n "$out" ]; then
    # rdump recreates /out under the target; copy its content so DIR is the guest's $LAB_OUT.
    mkdir -p "$out"
    debugfs -R "rdump /out $run" "$run/disk.img" >/dev/null 2>&1 && cp -a "$run/out/." "$out/" ||
      log "warning: debugfs rdump of /out failed"
  fi
  return $rc
}

# Streams the serial console: guest stdout between markers to our stdout, the rest to stderr.
boot() {
  local kdir=$1 run=$2 timeout=$3 mem=$4 t0=$EPOCHREALTIME state=boot rc=125 line
  unset prev
  while IFS= read -r line; do
    line=${line%$'\r'}
    case $state:$line in
      boot:*@@LAB-INIT@@*) log "init after $(elapsed "$t0") s (kernel $(cat "$kdir/kver"), guest ${line#*uptime=} s)";;
      boot:@@LAB-BEGIN@@) state=out;;
      out:@@LAB-END@@*) rc=${line#*rc=}; state=err;;
      out:*) if [ -n "${prev+x}" ]; then printf '%s\n' "$prev"; fi; prev=$line;;
      err:@@LAB-STDERR@@|err:@@LAB-STDERR-END@@) ;;
      err:@@LAB-DONE@@) state=done;;
      err:*) [ -n "$line" ] && printf '[guest stderr] %s\n' "$line" >&2;;
      boot:*) [ -n "${CGLEAK_LAB_VERBOSE:-}" ] && printf '[console] %s\n' "$line" >&2;;
      *) ;;
    esac
  done < <(timeout -s KILL "$timeout" qemu-system-x86_64 -accel tcg -m "$mem" $(topology) -nographic -no-reboot \
      -kernel "$kdir/vmlinuz" -initrd "$run/initrd" -nic none \
      -drive "file=$run/disk.img,if=virtio,format=raw" \
      -append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all" </dev/null 2>&1; echo "@@QEMU-EXIT@@ $?")
  # The last line before END is the newline init adds; printing it without \n restores stdout exactly.
  [ -n "${prev+x}" ] && printf '%s' "$prev"
  log "total $(elapsed "$t0") s, command rc=$rc"
  [ "$state" = done ] || { log "error: guest did not finish (timeout ${timeout}s or crash); CGLEAK_LAB_VERBOSE=1 shows the console"; return 124; }
  return "$rc"
}

# -smp and, with CGLEAK_LAB_NUMA=K, K nodes of equal memory, each with an equal run of the CPUs.
topology() {
  local smp=${CGLEAK_LAB_SMP:-2} numa=${CGLEAK_LAB_NUMA:-0} k per
  printf -- '-smp %d' "$smp"
  [ "$numa" -gt 1 ] || return 0
  per=$((smp / numa))
  for ((k = 0; k < numa; k++)); do
    printf -- ' -object memory-backend-ram,id=m%d,size=%dM -numa node,nodeid=%d,memdev=m%d,cpus=%d-%d' \
      "$k" $((${mem:-2048} / numa)) "$k" "$k" $((k * per)) $((k * per + per - 1))
  done
}

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Not in CI: one kernel takes ~5 min under TCG (README "Swap-pinned IDs"). Prints repro's JSON.
cmd_swap_ids() {
  local k files; files=$(mktemp -d "${TMPDIR:-/tmp}/cgleak-swapids.XXXXXX")
  cp "$HERE/scenarios/swap-ids.sh" "$files/"
  [ $# -gt 0 ] || set -- 5.10 6.1 6.12
  for k in "$@"; do
    log "swap-ids fill on $k"
    (cmd_run "$k" --files "$files" --mem 4096 --timeout 1500 -- \
      'N=${N:-20} FILL=1 sh $LAB_FILES/swap-ids.sh; cat $LAB_OUT/repro.json $LAB_OUT/repro.err $LAB_OUT/times')
  done
  rm -rf "$files"
}

case ${1:-} in
  deps) cmd_deps;;
  swap-ids) shift; cmd_swap_ids "$@";;
  prepare) shift; cmd_deps; cmd_prepare "$@";;
  run) shift; cmd_run "$@";;
  size) du -sh "$CACHE";;
  clean) rm -rf "$CACHE";;
  *) sed -n '2,10p' "$0" >&2; exit 2;;
esac
