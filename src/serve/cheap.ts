import type { Host } from "../host/host.js";
import { readMemorySubsys } from "../collect/memory-subsys.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import type { CgroupHierarchy } from "../collect/mounts.js";

/** What one cheap read tells: a single small file, well under a millisecond whatever the tree size. */
export interface CheapCount {
  /** Live + dying memcgs, kernel-wide. */
  total: number;
  /** Dying memcgs, when the cheap file says so (v2 cgroup.stat on 6.12+); null on v1. */
  dying: number | null;
}

/**
 * v1: /proc/cgroups memory num_cgroups. v2: the root cgroup.stat; before 6.12 it has no memory
 * counts, so every cgroup counts (descendants + the root + dying), as the scan's fallback does.
 */
export function readCheapCount(host: Host, h: CgroupHierarchy): CheapCount {
  if (h.version === 1) {
    return { total: readMemorySubsys(host).numCgroups, dying: null };
  }
  const file = `${h.mountPoint}/cgroup.stat`;
  const st = parseCgroupStat(host.readText(file), file);
  if (st.nrSubsysMemory !== undefined && st.nrDyingSubsysMemory !== undefined) {
    return { total: st.nrSubsysMemory + st.nrDyingSubsysMemory, dying: st.nrDyingSubsysMemory };
  }
  return { total: st.nrDescendants + 1 + st.nrDyingDescendants, dying: null };
}

// daemon.ts and sampler.ts import it from here; its home is collect/.
export { readBootId } from "../collect/boot-id.js";
