import type { Host } from "../host/host.js";
import { HostReadError } from "../host/errors.js";
import { memoryDying, readKernelTotal } from "./kernel-total.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import { readCgroupMounts, type CgroupHierarchy } from "./mounts.js";
import { walkCgroupDirs } from "../host/walk.js";

/**
 * Dying memcgs below `rel` (a v2 cgroup.stat knows them per subtree) or, on v1, kernel-wide:
 * /proc/cgroups num_cgroups minus the live directories, read back to back so that the machine's
 * own memcg churn moves the two together. The cheap count repro, reclaim and trace need between
 * steps, without the scan's subtrees and charges.
 */
export function dyingCount(host: Host, h: CgroupHierarchy, rel = ""): number {
  if (h.version === 2) {
    const file = rel === "" ? `${h.mountPoint}/cgroup.stat` : `${h.mountPoint}/${rel}/cgroup.stat`;
    const st = parseCgroupStat(host.readText(file), file);
    return st.nrDyingSubsysMemory ?? st.nrDyingDescendants;
  }
  const live = walkCgroupDirs(host.path(h.mountPoint), () => {}).dirs;
  return readKernelTotal(host, h).total - live;
}

/**
 * The kernel's count of dying memcgs, for the tracer's "dying since before tracing". Null when
 * the memory hierarchy is not mounted here, or on a v2 kernel before 6.12, whose
 * nr_dying_descendants mixes every controller's dying cgroups.
 */
export function kernelDyingMemcgs(host: Host): number | null {
  const hs = readCgroupMounts(host).hierarchies;
  const v1 = hs.find((h) => h.version === 1 && h.controllers.includes("memory"));
  if (v1 !== undefined) {
    try {
      return Math.max(0, dyingCount(host, v1));
    } catch (err) {
      if (err instanceof HostReadError) return null;
      throw err;
    }
  }
  const v2 = hs.find((h) => h.version === 2);
  return v2 === undefined ? null : memoryDying(readKernelTotal(host, v2));
}
