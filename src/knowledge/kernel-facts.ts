import type { Distro } from "./kernel-release.js";

export type Errno = "ENOSPC" | "ENOMEM" | "EBUSY";

export interface KernelFacts {
  dyingHoldIds: boolean;
  swapCanPinIds: boolean;
  kmemForkLeak: boolean;
  slabPins: boolean;
  pageCachePins: boolean;
  kmemLimitBroken: boolean;
  kmemLimitFileGone: boolean;
  exhaustionErrno: Errno;
}
export type FactName = keyof KernelFacts;

/**
 * When a row applies. Versions are "MAJOR.MINOR" or "MAJOR.MINOR.PATCH" (upstream numbering);
 * builds compare the RHEL build numbers ([1075] matches 3.10.0-1075.*). All given fields must hold.
 */
export interface When {
  distro?: Distro[];
  base?: string;
  from?: string;
  before?: string;
  buildFrom?: number[];
  buildBefore?: number[];
  nokmem?: boolean;
}

export interface FactRow<K extends FactName = FactName> {
  fact: K;
  when: When;
  value: KernelFacts[K] | "unknown";
  reason: string;
  source: string;
}

const EL7: When = { distro: ["rhel"], base: "3.10" };
const LAB_618 = "kernel-lab.md §1 (measured on 6.18)";

/** First matching row per fact wins. Every row names where the claim comes from. */
export const KERNEL_FACTS: FactRow[] = [
  // Do dying memcgs keep their 16-bit memcg ID (so they count against the 65535 cap)?
  { fact: "dyingHoldIds", when: EL7, value: true, reason: "RHEL 7's 3.10 has no private memcg ID: a dying memcg keeps its ID until freed", source: "facts.md §0; TKE article (3.10.0-862.9.1); k8s#61937 (3.10.0-514)" },
  { fact: "dyingHoldIds", when: { from: "4.8" }, value: false, reason: "the private memcg ID is released when a memcg goes offline (only swap records still pin it)", source: "73f576c04b94 (v4.8); kernel-lab.md §2 (measured on 6.18: 100 000 dying, mkdir still works)" },
  { fact: "dyingHoldIds", when: { base: "4.7" }, value: "unknown", reason: "73f576c04b94 was backported to 4.7 stable; which 4.7.y is not in our sources", source: "facts.md §2" },
  { fact: "dyingHoldIds", when: { base: "4.4", from: "4.4.22" }, value: false, reason: "73f576c04b94 was backported to 4.4 stable (Aug 2016)", source: "lore linux-mm 'PATCH stable-4.4 1/3 mm: memcontrol: fix cgroup creation failure after many small jobs' (2016-08-12)" },
  { fact: "dyingHoldIds", when: { base: "4.4", from: "4.4.17" }, value: "unknown", reason: "the 4.4 stable backport of 73f576c04b94 landed around 4.4.17-4.4.21", source: "lore linux-mm 'PATCH stable-4.4' (2016-08-12)" },
  { fact: "dyingHoldIds", when: { before: "4.8" }, value: true, reason: "before 4.8 the memcg ID is the css ID, held until the memcg is freed", source: "73f576c04b94 commit message (v4.8)" },

  // Can swap-out records keep a dying memcg's ID (only matters with swap on)?
  { fact: "swapCanPinIds", when: { before: "4.8" }, value: true, reason: "every dying memcg holds its ID on this kernel, swap or not", source: "73f576c04b94 (v4.8)" },
  { fact: "swapCanPinIds", when: {}, value: true, reason: "swap-out records pin the private memcg ID of a dying memcg until the swap entries go", source: "73f576c04b94 commit message; facts.md §2" },

  // The CentOS 7 leak: kmem accounting switched on + fork, then rmdir, and the memcg is never freed.
  { fact: "kmemForkLeak", when: { ...EL7, buildFrom: [1075] }, value: false, reason: "fixed in kernel-3.10.0-1075.el7", source: "BZ 1507149; docker/for-linux#841; RHSA-2019:3055" },
  { fact: "kmemForkLeak", when: { ...EL7, nokmem: true, buildFrom: [1062] }, value: false, reason: "booted with cgroup.memory=nokmem, which 3.10.0-1062 honours", source: "docker/for-linux#841" },
  { fact: "kmemForkLeak", when: { ...EL7, nokmem: true }, value: "unknown", reason: "booted with cgroup.memory=nokmem, but whether kernels before 3.10.0-1062 honour it is not verified", source: "facts.md §1 (workarounds)" },
  { fact: "kmemForkLeak", when: EL7, value: true, reason: "RHEL 7 kernels before 3.10.0-1075 never free a memcg that had kmem accounting on and forked", source: "BZ 1507149; TKE article; runc#1725; k8s#61937" },
  { fact: "kmemForkLeak", when: { distro: ["rhel"], base: "2.6" }, value: "unknown", reason: "RHEL 6 kernels are not covered by our sources", source: "facts.md" },
  { fact: "kmemForkLeak", when: { from: "4.0" }, value: false, reason: "the leak is specific to RHEL 7's 3.10 kmem accounting; slab pinning is judged separately", source: `BZ 1507149; ${LAB_618}: 300 forks per memcg pin nothing` },
  { fact: "kmemForkLeak", when: {}, value: "unknown", reason: "old upstream 3.x kernels are not covered by our sources", source: "facts.md" },

  // Does slab (kmem) charged to a dying memcg keep it alive?
  { fact: "slabPins", when: { distro: ["rhel"], base: "4.18" }, value: "unknown", reason: "RHEL 8 backports memcg work; whether this build has the 5.9 slab controller is not in our sources", source: "facts.md §2 (slab rows)" },
  { fact: "slabPins", when: { from: "5.9" }, value: false, reason: "slab objects are charged through obj_cgroup and reparented at offline", source: `new slab memory controller, Roman Gushchin (v5.9); ${LAB_618}` },
  { fact: "slabPins", when: {}, value: true, reason: "before 5.9 per-memcg kmem_caches keep a dying memcg alive while they hold objects", source: "facts.md §2 (slab rows: v5.3 reparenting, v5.9 obj_cgroup)" },

  // Does page cache / shmem charged to a dying memcg keep it alive?
  { fact: "pageCachePins", when: { from: "6.19" }, value: "unknown", reason: "LRU folio reparenting (Qi Zheng, Muchun Song; v4 2026-02) may be merged after 6.18; not verified", source: "facts.md §2 (LRU rows)" },
  { fact: "pageCachePins", when: {}, value: true, reason: "file pages and shmem stay charged to the dying memcg until reclaimed or deleted", source: `${LAB_618}; v2-qemu-lab.md §3 (6.1, 6.12); Oracle blog (6.12)` },

  // Has memory.kmem.limit_in_bytes stopped limiting (no-op, refused or gone)?
  { fact: "kmemLimitBroken", when: { distro: ["rhel"], base: "5.14" }, value: "unknown", reason: "RHEL 9 rebases memcg code; its kmem.limit_in_bytes behaviour is not in our sources", source: "facts.md §2" },
  { fact: "kmemLimitBroken", when: { from: "5.16" }, value: true, reason: "setting kmem.limit_in_bytes is refused since 5.16, the file was removed in 6.1.54 and is a no-op since", source: "58056f77502f (v5.16, kata-containers/cgroups-rs#82); k8s#120813; runc#4018; kernel-lab.md §1 (no-op on 6.18)" },
  { fact: "kmemLimitBroken", when: {}, value: false, reason: "kmem.limit_in_bytes still works (deprecated with a warning from 5.4)", source: "0158115f702b (v5.4)" },

  { fact: "kmemLimitFileGone", when: { base: "6.1", from: "6.1.54", before: "6.1.55" }, value: true, reason: "6.1.54 removed memory.kmem.limit_in_bytes: kubelet and runc on cgroup v1 fail to start", source: "k8s#120813; runc#4018; RPi-Distro/repo#352 (restored in 6.1.55)" },
  { fact: "kmemLimitFileGone", when: { base: "6.1" }, value: false, reason: "the file exists (only 6.1.54 removed it)", source: "RPi-Distro/repo#352; lwn.net/Articles/945379" },
  { fact: "kmemLimitFileGone", when: {}, value: false, reason: "the file exists on cgroup v1", source: "kernel-lab.md §1 (present on 6.18)" },

  // What errno does mkdir get when memcg IDs run out?
  { fact: "exhaustionErrno", when: EL7, value: "ENOSPC", reason: "mkdir fails with 'no space left on device'", source: "TKE article; k8s#61937" },
  { fact: "exhaustionErrno", when: { distro: ["rhel"], base: "4.18" }, value: "unknown", reason: "ENOMEM on upstream 4.18, ENOSPC if Red Hat backported 11d6761218d1", source: "11d6761218d1 (v5.7)" },
  { fact: "exhaustionErrno", when: { distro: ["rhel"], base: "5.14" }, value: "unknown", reason: "ENOSPC on upstream 5.14, EBUSY if Red Hat backported the xarray ID allocator", source: "11d6761218d1 (v5.7); facts.md §2 (errno change)" },
  { fact: "exhaustionErrno", when: { from: "6.18" }, value: "EBUSY", reason: "the memcg ID allocator is an xarray and xa_alloc returns -EBUSY", source: "kernel-lab.md §2 (measured on 6.18)" },
  { fact: "exhaustionErrno", when: { from: "6.12" }, value: "unknown", reason: "EBUSY once 'memcg: replace memcg ID idr with xarray' (Aug 2024) is in, ENOSPC before; the release it landed in is not confirmed", source: "facts.md §2 (errno change)" },
  { fact: "exhaustionErrno", when: { from: "5.7" }, value: "ENOSPC", reason: "mem_cgroup_css_alloc() passes idr_alloc's -ENOSPC up", source: "11d6761218d1 (v5.7)" },
  { fact: "exhaustionErrno", when: { base: "5.6", from: "5.6.13" }, value: "ENOSPC", reason: "11d6761218d1 backported to 5.6.13", source: "stable review 'PATCH 5.6 113/118' (2020-05-13)" },
  { fact: "exhaustionErrno", when: { base: "5.4", from: "5.4.41" }, value: "ENOSPC", reason: "11d6761218d1 backported to 5.4.41", source: "stable review 'PATCH 5.4 86/90' (2020-05-13)" },
  { fact: "exhaustionErrno", when: { from: "4.8" }, value: "ENOMEM", reason: "from 4.8 until 11d6761218d1 mkdir reported 'cannot allocate memory' when memcg IDs ran out (stable backports found for 5.4.41 and 5.6.13 only)", source: "11d6761218d1 commit message; 73f576c04b94 (v4.8)" },
  { fact: "exhaustionErrno", when: { base: "4.7" }, value: "unknown", reason: "ENOMEM once 73f576c04b94 is backported to 4.7 stable, ENOSPC before; which 4.7.y is not in our sources", source: "facts.md §2" },
  { fact: "exhaustionErrno", when: { base: "4.4", from: "4.4.22" }, value: "ENOMEM", reason: "the 4.4 stable backport of 73f576c04b94 allocates the memcg ID in mem_cgroup_alloc(), whose failure is reported as -ENOMEM", source: "lore linux-mm 'PATCH stable-4.4 1/3' (2016-08-12); 11d6761218d1 commit message" },
  { fact: "exhaustionErrno", when: { base: "4.4", from: "4.4.17" }, value: "unknown", reason: "the 4.4 stable backport of 73f576c04b94 (ENOMEM) landed around 4.4.17-4.4.21", source: "lore linux-mm 'PATCH stable-4.4' (2016-08-12)" },
  { fact: "exhaustionErrno", when: {}, value: "ENOSPC", reason: "the css ID check in mem_cgroup_css_online returns -ENOSPC", source: "TKE article (3.10); 11d6761218d1 commit message" },
];

/** What frees a dying memcg, by what pins it and the cgroup version (measured). */
export interface ReleaseAction {
  pin: "page-cache" | "page-cache-dirty" | "fs-metadata" | "shmem" | "any";
  cgroup: "v1" | "v2" | "both";
  action: string;
  frees: boolean;
  source: string;
}

export const releaseActions: ReleaseAction[] = [
  { pin: "page-cache", cgroup: "v1", action: "echo 1 > /proc/sys/vm/drop_caches", frees: true, source: "kernel-lab.md §1; v2-qemu-lab.md §3 (v1 control)" },
  { pin: "page-cache-dirty", cgroup: "v1", action: "sync; echo 1 > /proc/sys/vm/drop_caches", frees: true, source: "kernel-lab.md §1 (without sync: 0 freed)" },
  { pin: "fs-metadata", cgroup: "v1", action: "echo 1 > /proc/sys/vm/drop_caches", frees: true, source: "kernel-lab.md §1 (echo 2 alone frees none)" },
  { pin: "any", cgroup: "v1", action: "echo 0 > <live parent>/memory.force_empty", frees: true, source: "kernel-lab.md §1 (30/30 in every case but shmem)" },
  { pin: "page-cache", cgroup: "v2", action: "sync; echo 1 > /proc/sys/vm/drop_caches (the pages go, the memcgs stay)", frees: false, source: "v2-qemu-lab.md §3 (R3: 0/50); src/lab/actions-v2.test.ts (repro drop-page-cache: 0 of 10 on 6.1 and 6.12)" },
  { pin: "page-cache", cgroup: "v2", action: "memory.reclaim of just the pinned bytes, or without a sync first (the pages go, not always the inodes)", frees: false, source: "v2-qemu-lab.md §3 (R2: 64M without sync, 0/50)" },
  // echo 2 evicts only inodes that are clean and hold no pages, hence sync and echo 1 first.
  { pin: "page-cache", cgroup: "v2", action: "sync; echo 3 > /proc/sys/vm/drop_caches (echo 1 drops the pages, then echo 2 evicts the inodes they wrote)", frees: true, source: "v2-qemu-lab.md §3 (R2: 50/50; R3: 46/50); src/lab/actions-v2.test.ts (repro drop-caches and reclaim --drop-caches: 10 of 10 on 6.1 and 6.12)" },
  { pin: "page-cache", cgroup: "v2", action: "sync, then echo <more than it holds> > <parent>/memory.reclaim (EAGAIN without swap is expected)", frees: true, source: "src/lab/actions-v2.test.ts (reclaim --memory-reclaim 64M: 10 of 10 on 6.1 and 6.12; repro memory-reclaim of all the parent holds: 9 or 10 of 10)" },
  { pin: "shmem", cgroup: "both", action: "drop_caches, force_empty or memory.reclaim", frees: false, source: "kernel-lab.md §1; v2-qemu-lab.md §3 (no swap); src/lab/actions-v2.test.ts (v2: 0 of 10, memory.reclaim EAGAIN)" },
  { pin: "shmem", cgroup: "both", action: "delete the tmpfs/shmem files", frees: true, source: "kernel-lab.md §1; v2-qemu-lab.md §3" },
  { pin: "page-cache", cgroup: "both", action: "delete the files the memcg wrote", frees: true, source: "kernel-lab.md §1 (29/29); v2-qemu-lab.md §3" },
];
