/**
 * What a memcg costs, as measured by this project. The dying-memcg figures are fits of
 * kernel memory per dying memcg = fixed + perCpu x possible CPUs (+ per-node terms), method,
 * raw figures and fits in docs/cost-model.md; src/analyze/dying-cost.ts picks and applies one.
 */
export const MEMCG_COSTS = {
  /** Kernel memory one dying memcg holds on the 2-vCPU machine the project measures on (6.18 fit at 2 CPUs); src/analyze/dying-cost.ts scales it. */
  dyingKernelBytes: 15_746,
  /** MemAvailable consumed per live memcg when creating 10,000 (page cache of the walk excluded). */
  liveBytes: 27_000,
  source: "docs/cost-model.md (kernel 6.18, 2 vCPU, measured)",
} as const;

export interface DyingCostFit {
  /** The kernel series measured, "6.12": kernels are matched to the nearest series. */
  series: string;
  measuredOn: string;
  /** Slab (unreclaimable) per dying memcg, whatever the CPU count. */
  fixedBytes: number;
  /** Percpu per dying memcg per possible CPU, on one node. */
  perCpuBytes: number;
  /** Added per dying memcg for each node beyond the first: fixed and per CPU. Null: not measured. */
  perExtraNodeBytes: number | null;
  perCpuPerExtraNodeBytes: number | null;
  source: string;
}

export const DYING_COST_MODEL_VERSION = "dying-cost/1";

export const DYING_COST_FITS: readonly DyingCostFit[] = [
  {
    series: "6.1",
    measuredOn:
      "Debian 6.1.0-57-amd64, cgroup v2, qemu lab guests with 1, 2, 4 and 8 CPUs (and 2 NUMA nodes), 2,000 dying memcgs each",
    fixedBytes: 14904,
    perCpuBytes: 2074,
    perExtraNodeBytes: 5086,
    perCpuPerExtraNodeBytes: 689,
    source: "docs/cost-model.md (least squares over the qemu lab guests)",
  },
  {
    series: "6.12",
    measuredOn:
      "Debian 6.12.117+deb12-amd64, cgroup v2, qemu lab guests with 1, 2, 4 and 8 CPUs (and 2 NUMA nodes), 2,000 dying memcgs each",
    fixedBytes: 14011,
    perCpuBytes: 1914,
    perExtraNodeBytes: 3909,
    perCpuPerExtraNodeBytes: 565,
    source: "docs/cost-model.md (least squares over the qemu lab guests)",
  },
  {
    series: "6.18",
    measuredOn: "kernel 6.18.44 on the project's 2-vCPU VM, cgroup v1, 10,000 and 50,000 dying memcgs (the clean runs)",
    fixedBytes: 11834,
    perCpuBytes: 1956,
    perExtraNodeBytes: null,
    perCpuPerExtraNodeBytes: null,
    source: "docs/cost-model.md (SUnreclaim per dying memcg, and Percpu per dying memcg over the 2 possible CPUs)",
  },
];

/**
 * Time of one read of the root memory.stat against the dying count, measured on the real kernel
 * (npm run bench -- cost), once the periodic flush has run. Since Linux 5.13's rstat
 * (2d146aa3aa84) a read flushes only the cgroups with pending changes, so idle dying memcgs do
 * not slow it; before, it walked them all. The first read right after 40,000 memcgs were made
 * took 31 ms: it flushed their pending per-CPU updates.
 */
export const MEMSTAT_READ = {
  kernel: "6.18",
  points: [
    { dying: 0, ms: 0.02 },
    { dying: 10_000, ms: 0.05 },
    { dying: 50_000, ms: 0.03 },
  ],
  source: "docs/cost-model.md (npm run bench -- cost, kernel 6.18, cgroup v1 root memory.stat)",
} as const;
