import type { Host } from "../host/host.js";
import { memoryDying, readKernelTotal } from "../collect/kernel-total.js";
import type { CgroupHierarchy } from "../collect/mounts.js";

/** What one cheap read tells: a single small file, well under a millisecond whatever the tree size. */
export interface CheapCount {
  /** Live + dying memcgs, kernel-wide. */
  total: number;
  /** Dying memcgs, when the cheap file says so (v2 cgroup.stat on 6.12+); null on v1. */
  dying: number | null;
}

/** The kernel total (collect/kernel-total.ts, its one reader) without a walk: one small file. */
export function readCheapCount(host: Host, h: CgroupHierarchy): CheapCount {
  const t = readKernelTotal(host, h);
  return { total: t.total, dying: memoryDying(t) };
}

// daemon.ts and sampler.ts import it from here; its home is collect/.
