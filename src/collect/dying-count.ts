import type { Host } from "../host/host.js";
import { parseProcCgroups, memorySubsys } from "../parsers/proc-cgroups.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import { readCgroupMounts } from "./mounts.js";
import { walkCgroupDirs } from "./walk.js";

/**
 * The kernel's count of dying memcgs, for the tracer's "dying since before tracing": v1 is
 * /proc/cgroups num_cgroups minus the live directories (a walk), v2 the root cgroup.stat.
 * Null when the memory hierarchy is not mounted here.
 */
export function kernelDyingMemcgs(host: Host): number | null {
  const hs = readCgroupMounts(host).hierarchies;
  const v1 = hs.find((h) => h.version === 1 && h.controllers.includes("memory"));
  if (v1 !== undefined) {
    const live = walkCgroupDirs(host.path(v1.mountPoint), () => {}).dirs;
    const mem = memorySubsys(parseProcCgroups(host.readText("/proc/cgroups")));
    return mem === undefined ? null : Math.max(0, mem.numCgroups - live);
  }
  const v2 = hs.find((h) => h.version === 2);
  if (v2 === undefined) return null;
  const file = `${v2.mountPoint}/cgroup.stat`;
  const st = parseCgroupStat(host.readText(file), file);
  return st.nrDyingSubsysMemory ?? null; // before 6.12 nr_dying_descendants mixes all controllers
}
