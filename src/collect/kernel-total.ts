import type { Host } from "../host/host.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import { readMemorySubsys } from "./memory-subsys.js";
import type { CgroupHierarchy } from "./mounts.js";

/** Live + dying memcgs, kernel-wide, as the kernel counts them, and where that was read. */
export interface KernelTotal {
  total: number;
  source: string;
  /** Dying memcgs, where the file says (v2); v1 leaves it to the walk (total minus live directories). */
  dying?: number;
  dyingSource: string;
  /** Where the kernel's own memcg count was read (file and line); null when composed from a live count. */
  at: { file: string; line: number } | null;
  /** The kernel's live memcg count, where it keeps one for memory alone (v2 on 6.12+). */
  live?: number;
}

/**
 * The one reader of the kernel's memcg total. v1: /proc/cgroups memory num_cgroups. v2: the root
 * cgroup.stat; before 6.12 it has no memory counts, so the total is `live` (the walk's count) or,
 * without a walk, every cgroup (descendants + the root), plus nr_dying_descendants.
 */
export function readKernelTotal(host: Host, h: CgroupHierarchy, live?: number): KernelTotal {
  if (h.version === 1) {
    const mem = readMemorySubsys(host);
    return {
      total: mem.numCgroups,
      source: "/proc/cgroups memory num_cgroups",
      dyingSource: "/proc/cgroups num_cgroups minus live directories",
      at: { file: "/proc/cgroups", line: mem.line },
    };
  }
  const file = `${h.mountPoint}/cgroup.stat`;
  const st = parseCgroupStat(host.readText(file), file);
  if (st.nrSubsysMemory !== undefined && st.nrDyingSubsysMemory !== undefined) {
    return {
      total: st.nrSubsysMemory + st.nrDyingSubsysMemory,
      source: "cgroup.stat nr_subsys_memory + nr_dying_subsys_memory",
      dying: st.nrDyingSubsysMemory,
      dyingSource: "cgroup.stat nr_dying_subsys_memory",
      at: { file, line: 0 },
      live: st.nrSubsysMemory,
    };
  }
  const dying = st.nrDyingDescendants;
  return {
    total: (live ?? st.nrDescendants + 1) + dying,
    source:
      `${live === undefined ? "cgroup.stat nr_descendants + 1" : "live memcgs"}` +
      " + cgroup.stat nr_dying_descendants (kernel before 6.12)",
    dying,
    dyingSource: "cgroup.stat nr_dying_descendants (all controllers: kernel before 6.12)",
    at: null,
  };
}

/**
 * The kernel's own count of dying memcgs, where it keeps one for memory alone (v2 on 6.12+); null
 * on v1 (a walk must subtract) and before 6.12 (nr_dying_descendants mixes every controller's).
 */
export function memoryDying(t: KernelTotal): number | null {
  return t.live === undefined ? null : (t.dying ?? null);
}
