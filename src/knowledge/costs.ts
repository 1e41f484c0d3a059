/** What a memcg costs, as measured on this project's lab kernel. */
export const MEMCG_COSTS = {
  /** Kernel memory held by one dying memcg (slab 14.1 KB + percpu 4.06 KB + vmalloc 4.04 KB), besides the pages it pins. Percpu grows with the CPU count. */
  dyingKernelBytes: 20_000,
  /** MemAvailable consumed per live memcg when creating 10,000 (page cache of the walk excluded). */
  liveBytes: 27_000,
  source: "kernel-lab.md §2 (kernel 6.18, 2 vCPU, measured)",
} as const;
