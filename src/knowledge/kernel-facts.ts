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
  /** cgroup v2 `memory.reclaim` exists. */
  memoryReclaim: boolean;
  /** cgroup v1 memcg (and `memory.force_empty`) can be compiled out (CONFIG_MEMCG_V1). */
  memcgV1Optional: boolean;
  /** `nr_dying_subsys_*` counts a cgroup from rmdir, before it is even offline: fresh removals look dying. */
  dyingCountedAtRmdir: boolean;
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
const LAB_618 = "docs/lab-results.md §1 (measured on 6.18)";

/** First matching row per fact wins. Every row names where the claim comes from. */
export const KERNEL_FACTS: FactRow[] = [
  // Do dying memcgs keep their 16-bit memcg ID (so they count against the 65535 cap)?
  {
    fact: "dyingHoldIds",
    when: EL7,
    value: true,
    reason: "RHEL 7's 3.10 has no private memcg ID: a dying memcg keeps its ID until freed",
    source: "docs/lab-results.md §4; kubernetes/kubernetes#61937 (3.10.0-514); moby/moby#29638",
  },
  {
    fact: "dyingHoldIds",
    when: { from: "4.8" },
    value: false,
    reason: "the private memcg ID is released when a memcg goes offline (only swap records still pin it)",
    source: "73f576c04b94 (v4.8); docs/lab-results.md §2 (measured on 6.18: 100,000 dying, mkdir still works)",
  },
  {
    fact: "dyingHoldIds",
    when: { base: "4.7" },
    value: "unknown",
    reason: "73f576c04b94 was backported to 4.7 stable; which 4.7.y is not in our sources",
    source: "73f576c04b94 (v4.8), Cc: stable",
  },
  {
    fact: "dyingHoldIds",
    when: { base: "4.4", from: "4.4.22" },
    value: false,
    reason: "73f576c04b94 was backported to 4.4 stable (Aug 2016)",
    source:
      "lore linux-mm 'PATCH stable-4.4 1/3 mm: memcontrol: fix cgroup creation failure after many small jobs' (2016-08-12)",
  },
  {
    fact: "dyingHoldIds",
    when: { base: "4.4", from: "4.4.17" },
    value: "unknown",
    reason: "the 4.4 stable backport of 73f576c04b94 landed around 4.4.17-4.4.21",
    source: "lore linux-mm 'PATCH stable-4.4' (2016-08-12)",
  },
  {
    fact: "dyingHoldIds",
    when: { before: "4.8" },
    value: true,
    reason: "before 4.8 the memcg ID is the css ID, held until the memcg is freed",
    source: "73f576c04b94 commit message (v4.8)",
  },

  // Can swap-out records keep a dying memcg's ID (only matters with swap on)?
  {
    fact: "swapCanPinIds",
    when: { before: "4.8" },
    value: true,
    reason: "every dying memcg holds its ID on this kernel, swap or not",
    source: "73f576c04b94 (v4.8)",
  },
  {
    fact: "swapCanPinIds",
    when: {},
    value: true,
    reason: "swap-out records pin the private memcg ID of a dying memcg until the swap entries go",
    source: "73f576c04b94 commit message (v4.8)",
  },

  // The CentOS 7 leak: kmem accounting switched on + fork, then rmdir, and the memcg is never freed.
  {
    fact: "kmemForkLeak",
    when: { ...EL7, buildFrom: [1075] },
    value: false,
    reason:
      "3.10.0-1075.el7 no longer leaks a memcg for kmem accounting and fork alone; dying memcgs still hold IDs while page cache, shmem or kmem charges pin them",
    source: "https://bugzilla.redhat.com/show_bug.cgi?id=1507149; docker/for-linux#841; RHSA-2019:3055",
  },
  {
    fact: "kmemForkLeak",
    when: { ...EL7, nokmem: true, buildFrom: [1062] },
    value: false,
    reason: "booted with cgroup.memory=nokmem, which 3.10.0-1062 honours",
    source: "docker/for-linux#841",
  },
  {
    fact: "kmemForkLeak",
    when: { ...EL7, nokmem: true },
    value: "unknown",
    reason: "booted with cgroup.memory=nokmem, but whether kernels before 3.10.0-1062 honour it is not verified",
    source: "docker/for-linux#841 (nokmem verified on 3.10.0-1062 only)",
  },
  {
    fact: "kmemForkLeak",
    when: EL7,
    value: true,
    reason: "RHEL 7 kernels before 3.10.0-1075 never free a memcg that had kmem accounting on and forked",
    source:
      "https://bugzilla.redhat.com/show_bug.cgi?id=1507149; opencontainers/runc#1725; kubernetes/kubernetes#61937",
  },
  {
    fact: "kmemForkLeak",
    when: { distro: ["rhel"], base: "2.6" },
    value: "unknown",
    reason: "RHEL 6 kernels are not covered by our sources",
    source: "no public report found for 2.6.32 kernels",
  },
  {
    fact: "kmemForkLeak",
    when: { from: "4.0" },
    value: false,
    reason: "the leak is specific to RHEL 7's 3.10 kmem accounting; slab pinning is judged separately",
    source: `https://bugzilla.redhat.com/show_bug.cgi?id=1507149; ${LAB_618}: 300 forks per memcg pin nothing`,
  },
  {
    fact: "kmemForkLeak",
    when: {},
    value: "unknown",
    reason: "old upstream 3.x kernels are not covered by our sources",
    source: "lxc/lxc#1443 (3.19: echo 1 > drop_caches freed most)",
  },

  // Does slab (kmem) charged to a dying memcg keep it alive?
  {
    fact: "slabPins",
    when: { distro: ["rhel"], base: "4.18" },
    value: "unknown",
    reason: "RHEL 8 backports memcg work; whether this build has the 5.9 slab controller is not in our sources",
    source: "new slab memory controller (v5.9); Red Hat backports to 4.18 are not listed publicly",
  },
  {
    fact: "slabPins",
    when: { from: "5.9" },
    value: false,
    reason: "slab objects are charged through obj_cgroup and reparented at offline",
    source: `new slab memory controller, Roman Gushchin (v5.9); ${LAB_618}`,
  },
  {
    fact: "slabPins",
    when: {},
    value: true,
    reason: "before 5.9 per-memcg kmem_caches keep a dying memcg alive while they hold objects",
    source: "kmem_cache reparenting (v5.3), obj_cgroup slab controller (v5.9), Roman Gushchin",
  },

  // Does page cache / shmem charged to a dying memcg keep it alive?
  {
    fact: "pageCachePins",
    when: { from: "6.19" },
    value: "unknown",
    reason:
      "the series that reparents LRU folios at removal (Muchun Song, Qi Zheng; v4-v6 in Feb-Mar 2026) was aimed at 7.1; cgleak has not confirmed the release it landed in: if it is in, page cache no longer pins and persistent dying memcgs mean swap entries, per-CPU or obj_cgroup references, writeback or a bug",
    source: "lore: 20250415024532.26632-1-songmuchun@bytedance.com (Eliminate Dying Memory Cgroup)",
  },
  {
    fact: "pageCachePins",
    when: {},
    value: true,
    reason: "file pages and shmem stay charged to the dying memcg until reclaimed or deleted",
    source: `${LAB_618}; docs/lab-results.md §3 (6.1, 6.12)`,
  },

  // Has memory.kmem.limit_in_bytes stopped limiting (no-op, refused or gone)?
  {
    fact: "kmemLimitBroken",
    when: { distro: ["rhel"], base: "5.14" },
    value: "unknown",
    reason: "RHEL 9 rebases memcg code; its kmem.limit_in_bytes behaviour is not in our sources",
    source: "RHEL 9 kernel source not checked",
  },
  {
    fact: "kmemLimitBroken",
    when: { from: "5.16" },
    value: true,
    reason: "setting kmem.limit_in_bytes is refused since 5.16, the file was removed in 6.1.54 and is a no-op since",
    source:
      "58056f77502f (v5.16, kata-containers/cgroups-rs#82); k8s#120813; opencontainers/runc#4018; docs/lab-results.md §1 (no-op on 6.18)",
  },
  {
    fact: "kmemLimitBroken",
    when: {},
    value: false,
    reason: "kmem.limit_in_bytes still works (deprecated with a warning from 5.4)",
    source: "0158115f702b (v5.4)",
  },

  {
    fact: "kmemLimitFileGone",
    when: { base: "6.1", from: "6.1.54", before: "6.1.55" },
    value: true,
    reason: "6.1.54 removed memory.kmem.limit_in_bytes: kubelet and runc on cgroup v1 fail to start",
    source: "k8s#120813; runc#4018; RPi-Distro/repo#352 (restored in 6.1.55)",
  },
  {
    fact: "kmemLimitFileGone",
    when: { base: "6.1" },
    value: false,
    reason: "the file exists (only 6.1.54 removed it)",
    source: "RPi-Distro/repo#352; lwn.net/Articles/945379",
  },
  {
    fact: "kmemLimitFileGone",
    when: {},
    value: false,
    reason: "the file exists on cgroup v1",
    source: "docs/lab-results.md §1 (present on 6.18)",
  },

  // What errno does mkdir get when memcg IDs run out?
  {
    fact: "exhaustionErrno",
    when: EL7,
    value: "ENOSPC",
    reason: "mkdir fails with 'no space left on device'",
    source: "kubernetes/kubernetes#61937; moby/moby#29638",
  },
  {
    fact: "exhaustionErrno",
    when: { distro: ["rhel"], base: "4.18" },
    value: "unknown",
    reason: "ENOMEM on upstream 4.18, ENOSPC if Red Hat backported 11d6761218d1",
    source: "11d6761218d1 (v5.7)",
  },
  {
    fact: "exhaustionErrno",
    when: { distro: ["rhel"], base: "5.14" },
    value: "unknown",
    reason: "ENOSPC on upstream 5.14, EBUSY if Red Hat backported the xarray ID allocator",
    source: "11d6761218d1 (v5.7); RHEL 9 kernel source not checked",
  },
  {
    fact: "exhaustionErrno",
    when: { from: "6.18" },
    value: "EBUSY",
    reason: "the memcg ID allocator is an xarray and xa_alloc returns -EBUSY",
    source: "docs/lab-results.md §2 (measured on 6.18)",
  },
  {
    fact: "exhaustionErrno",
    when: { from: "6.12" },
    value: "unknown",
    reason:
      "EBUSY once 'memcg: replace memcg ID idr with xarray' (Aug 2024) is in, ENOSPC before; the release it landed in is not confirmed",
    source: "memcg: replace memcg ID idr with xarray (Shakeel Butt, 2024); the release is not checked",
  },
  {
    fact: "exhaustionErrno",
    when: { from: "5.7" },
    value: "ENOSPC",
    reason: "mem_cgroup_css_alloc() passes idr_alloc's -ENOSPC up",
    source: "11d6761218d1 (v5.7)",
  },
  {
    fact: "exhaustionErrno",
    when: { base: "5.6", from: "5.6.13" },
    value: "ENOSPC",
    reason: "11d6761218d1 backported to 5.6.13",
    source: "stable review 'PATCH 5.6 113/118' (2020-05-13)",
  },
  {
    fact: "exhaustionErrno",
    when: { base: "5.4", from: "5.4.41" },
    value: "ENOSPC",
    reason: "11d6761218d1 backported to 5.4.41",
    source: "stable review 'PATCH 5.4 86/90' (2020-05-13)",
  },
  {
    fact: "exhaustionErrno",
    when: { from: "4.8" },
    value: "ENOMEM",
    reason:
      "from 4.8 until 11d6761218d1 mkdir reported 'cannot allocate memory' when memcg IDs ran out (stable backports found for 5.4.41 and 5.6.13 only)",
    source: "11d6761218d1 commit message; 73f576c04b94 (v4.8)",
  },
  {
    fact: "exhaustionErrno",
    when: { base: "4.7" },
    value: "unknown",
    reason: "ENOMEM once 73f576c04b94 is backported to 4.7 stable, ENOSPC before; which 4.7.y is not in our sources",
    source: "73f576c04b94 (v4.8), Cc: stable",
  },
  {
    fact: "exhaustionErrno",
    when: { base: "4.4", from: "4.4.22" },
    value: "ENOMEM",
    reason:
      "the 4.4 stable backport of 73f576c04b94 allocates the memcg ID in mem_cgroup_alloc(), whose failure is reported as -ENOMEM",
    source: "lore linux-mm 'PATCH stable-4.4 1/3' (2016-08-12); 11d6761218d1 commit message",
  },
  {
    fact: "exhaustionErrno",
    when: { base: "4.4", from: "4.4.17" },
    value: "unknown",
    reason: "the 4.4 stable backport of 73f576c04b94 (ENOMEM) landed around 4.4.17-4.4.21",
    source: "lore linux-mm 'PATCH stable-4.4' (2016-08-12)",
  },
  {
    fact: "exhaustionErrno",
    when: {},
    value: "ENOSPC",
    reason: "the css ID check in mem_cgroup_css_online returns -ENOSPC",
    source: "kubernetes/kubernetes#61937 (3.10); 11d6761218d1 commit message",
  },

  {
    fact: "memoryReclaim",
    when: { distro: ["rhel"], base: "5.14" },
    value: "unknown",
    reason: "RHEL 9 may have backported memory.reclaim; not checked",
    source: "RHEL 9 kernel source not checked",
  },
  {
    fact: "memoryReclaim",
    when: { from: "5.19" },
    value: true,
    reason: "cgroup v2 memory.reclaim reclaims a given amount from a subtree",
    source: "94968384dde1 (v5.19); Documentation/admin-guide/cgroup-v2.rst",
  },
  {
    fact: "memoryReclaim",
    when: {},
    value: false,
    reason: "memory.reclaim came in 5.19",
    source: "94968384dde1 (v5.19)",
  },

  {
    fact: "memcgV1Optional",
    when: { from: "6.12" },
    value: true,
    reason:
      "CONFIG_MEMCG_V1 makes the v1 memory controller optional: a kernel built without it has no memory.force_empty",
    source:
      "mm: memcg: put cgroup v1-specific code under a config option (Roman Gushchin, v6.12); siderolabs/pkgs#1097",
  },
  {
    fact: "memcgV1Optional",
    when: {},
    value: false,
    reason: "the v1 memory controller is always built with CONFIG_MEMCG",
    source: "mm/Kconfig before v6.12",
  },

  {
    fact: "dyingCountedAtRmdir",
    when: { from: "7.1" },
    value: "unknown",
    reason:
      "'cgroup: Increment nr_dying_subsys_* from rmdir context' was sent for 7.1 and 7.0.y stable; the release it landed in is not confirmed",
    source: "linux-stable mail, 'cgroup: Increment nr_dying_subsys_* from rmdir context' (2026)",
  },
  {
    fact: "dyingCountedAtRmdir",
    when: {},
    value: false,
    reason: "a cgroup is counted dying once its css is killed at rmdir and offlined soon after",
    source: "ab0312526867 (v6.12, nr_dying_subsys_*)",
  },
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
  {
    pin: "page-cache",
    cgroup: "v1",
    action: "echo 1 > /proc/sys/vm/drop_caches",
    frees: true,
    source: "docs/lab-results.md §1",
  },
  {
    pin: "page-cache-dirty",
    cgroup: "v1",
    action: "sync; echo 1 > /proc/sys/vm/drop_caches",
    frees: true,
    source: "docs/lab-results.md §1 (without sync: 0 freed)",
  },
  {
    pin: "fs-metadata",
    cgroup: "v1",
    action: "echo 1 > /proc/sys/vm/drop_caches",
    frees: true,
    source: "docs/lab-results.md §1 (echo 2 alone frees none)",
  },
  {
    pin: "any",
    cgroup: "v1",
    action: "echo 0 > <live parent>/memory.force_empty",
    frees: true,
    source: "docs/lab-results.md §1 (30 of 30 in every case but shmem)",
  },
  {
    pin: "page-cache",
    cgroup: "v2",
    action: "sync; echo 1 > /proc/sys/vm/drop_caches (the pages go, the memcgs stay)",
    frees: false,
    source: "docs/lab-results.md §3; src/lab/actions-v2.lab.test.ts (repro drop-page-cache: 0 of 10 on 6.1 and 6.12)",
  },
  {
    pin: "page-cache",
    cgroup: "v2",
    action: "memory.reclaim of just the pinned bytes, or without a sync first (the pages go, not always the inodes)",
    frees: false,
    source: "docs/lab-results.md §3",
  },
  // echo 2 evicts only inodes that are clean and hold no pages, hence sync and echo 1 first.
  {
    pin: "page-cache",
    cgroup: "v2",
    action:
      "sync; echo 3 > /proc/sys/vm/drop_caches (echo 1 drops the pages, then echo 2 evicts the inodes they wrote)",
    frees: true,
    source:
      "docs/lab-results.md §3; src/lab/actions-v2.lab.test.ts (repro drop-caches and reclaim --drop-caches: 10 of 10 on 6.1 and 6.12)",
  },
  {
    pin: "page-cache",
    cgroup: "v2",
    action: "sync, then echo <more than it holds> > <parent>/memory.reclaim (EAGAIN without swap is expected)",
    frees: true,
    source:
      "src/lab/actions-v2.lab.test.ts (reclaim --memory-reclaim 64M: 10 of 10 on 6.1 and 6.12; repro memory-reclaim of all the parent holds: 9 or 10 of 10)",
  },
  {
    pin: "shmem",
    cgroup: "both",
    action: "drop_caches, force_empty or memory.reclaim",
    frees: false,
    source:
      "docs/lab-results.md §1 and §3 (no swap); src/lab/actions-v2.lab.test.ts (v2: 0 of 10, memory.reclaim EAGAIN)",
  },
  {
    pin: "shmem",
    cgroup: "both",
    action: "delete the tmpfs/shmem files",
    frees: true,
    source: "docs/lab-results.md §1 and §3",
  },
  {
    pin: "page-cache",
    cgroup: "both",
    action: "delete the files the memcg wrote",
    frees: true,
    source: "docs/lab-results.md §1 (29 of 29) and §3",
  },
];
