import * as path from "node:path";
import type { Host } from "../host/host.js";
import { TraceInstance, TracefsUnavailable, type TraceInstanceOptions } from "../host/tracefs.js";
import { PRIVATE_PREFIX, hasInstances, mountPrivate } from "../host/tracefs-mount.js";
import { parseMountInfo } from "../parsers/mountinfo.js";
import { parseTraceCpuStats } from "../parsers/trace-event.js";

/** A tracefs root to make instances under; `mountedAt` when this process mounted it (close() unmounts). */
export interface Tracefs {
  base: string;
  mountedAt: string | null;
}

/** The tracefs this process sees, or a private mount of it (named for `instanceName`) when none is. Needs root. */
export function openTracefs(host: Host, instanceName: string): Tracefs {
  if (process.geteuid?.() !== 0) throw new TracefsUnavailable("needs root: it creates a tracefs instance");
  const found = findTracefs(host);
  if (found !== undefined) return { base: found, mountedAt: null };
  const fstypes = host.readTextIfExists("/proc/filesystems") ?? "";
  if (!/\ttracefs$/m.test(fstypes)) {
    throw new TracefsUnavailable("this kernel has no tracefs (/proc/filesystems lists none)");
  }
  const dir = mountPrivate(instanceName);
  return { base: dir, mountedAt: dir };
}

/** A new instance named `name` on `tracefs`; a failure unmounts what openTracefs mounted. */
export function openInstance(tracefs: Tracefs, name: string, opts: TraceInstanceOptions): TraceInstance {
  return TraceInstance.create(tracefs.base, name, tracefs.mountedAt, opts);
}

/**
 * The first tracefs mount point this process sees, from its own mountinfo. Another cgleak's
 * private mount is skipped: it unmounts it on exit, and using it would make that unmount fail.
 */
export function findTracefs(host: Host): string | undefined {
  const file = "/proc/self/mountinfo";
  const mounts = parseMountInfo(host.readText(file), file);
  return mounts.find(
    (m) =>
      m.fsType === "tracefs" && !path.basename(m.mountPoint).startsWith(PRIVATE_PREFIX) && hasInstances(m.mountPoint),
  )?.mountPoint;
}

/** The private tracefs mounts this process sees (its own and other cgleaks'), with the instance names they carry. */
export function privateMounts(host: Host): Array<{ mountPoint: string; instanceName: string }> {
  const file = "/proc/self/mountinfo";
  return parseMountInfo(host.readText(file), file).flatMap((m) => {
    const base = path.basename(m.mountPoint);
    if (m.fsType !== "tracefs" || !base.startsWith(PRIVATE_PREFIX)) return [];
    const dot = base.lastIndexOf(".");
    return dot < 0 ? [] : [{ mountPoint: m.mountPoint, instanceName: base.slice(PRIVATE_PREFIX.length, dot) }];
  });
}

/** Events the kernel lost so far in an instance, summed over CPUs (overrun + dropped). */
export function lostCount(inst: TraceInstance): number {
  let lost = 0;
  for (const { file, text } of inst.perCpuStats()) {
    const st = parseTraceCpuStats(text, file);
    lost += st.overrun + st.dropped;
  }
  return lost;
}
