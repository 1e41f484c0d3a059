import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { walkCgroupDirs } from "../collect/walk.js";
import { parseProcCgroups, memorySubsys } from "../parsers/proc-cgroups.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import { HostReadError } from "../host/errors.js";
import { setTimeout as delay } from "node:timers/promises";

/**
 * Dying memcgs below `rel` (a v2 cgroup.stat knows them per subtree) or, on v1, kernel-wide:
 * /proc/cgroups num_cgroups minus the live directories, read back to back so that the machine's
 * own memcg churn moves the two together.
 */
export function dyingCount(host: Host, h: CgroupHierarchy, rel = ""): number {
  if (h.version === 2) {
    const file = rel === "" ? `${h.mountPoint}/cgroup.stat` : `${h.mountPoint}/${rel}/cgroup.stat`;
    const st = parseCgroupStat(host.readText(file), file);
    return st.nrDyingSubsysMemory ?? st.nrDyingDescendants;
  }
  const live = walkCgroupDirs(host.path(h.mountPoint), () => {}).dirs;
  const mem = memorySubsys(parseProcCgroups(host.readText("/proc/cgroups")));
  if (!mem) throw new HostReadError("/proc/cgroups", "ENOMEM_CTRL", "the kernel has no memory controller line");
  return mem.numCgroups - live;
}

/** Lets pending signal handlers run between the steps of a long synchronous experiment. */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Dying count once asynchronous freeing has settled: empty memcgs go within ~1 s here
 * (kernel-lab.md §2), so wait at least `minMs`, then until two readings 300 ms apart agree.
 */
export async function settledDying(host: Host, h: CgroupHierarchy, rel = "", minMs = 1200, maxMs = 5000): Promise<number> {
  const started = Date.now();
  await delay(minMs); // awaited, not blocking: Ctrl-C and SIGTERM get handled (scratch cleanup)
  let last = dyingCount(host, h, rel);
  while (Date.now() - started < maxMs) {
    await delay(300);
    const now = dyingCount(host, h, rel);
    if (now === last) return now;
    last = now;
  }
  return last;
}
