import type { Host } from "../host/host.js";
import { parseOsRelease } from "../parsers/osrelease.js";
import { parseMeminfo } from "../parsers/meminfo.js";
import { parseCmdline, type BootParams } from "../parsers/cmdline.js";
import { readCgroupMounts, type CgroupHierarchy, type CgroupMounts } from "./mounts.js";
import { readTopology, type Topology } from "./topology.js";

/** Node-wide facts that cost a few small reads: the kernel, its boot line, memory, cgroup mounts. */
export interface NodeFacts {
  release: string;
  boot: BootParams | null;
  meminfo: {
    percpuBytes: number | null;
    sUnreclaimBytes: number | null;
    swapTotalBytes: number | null;
    memTotalBytes: number | null;
  };
  /** Possible CPUs and NUMA nodes: what a dying memcg's per-CPU memory scales with. */
  topology: Topology;
  mounts: CgroupMounts;
  /** Where the memory controller lives, or null when no hierarchy has it. */
  memory: CgroupHierarchy | null;
  mode: "v1" | "v2" | "hybrid" | "none";
}

export function collectNode(host: Host): NodeFacts {
  const release = parseOsRelease(host.readText("/proc/sys/kernel/osrelease"));
  const cmdline = host.readTextIfExists("/proc/cmdline");
  const mi = host.readTextIfExists("/proc/meminfo");
  const meminfo = mi === undefined ? undefined : parseMeminfo(mi);
  const mounts = readCgroupMounts(host);
  const v1 = mounts.hierarchies.find((h) => h.version === 1 && h.controllers.includes("memory"));
  const v2 = mounts.hierarchies.find((h) => h.version === 2);
  const v2HasMemory = v1 === undefined && v2 !== undefined && controllersOf(host, v2).includes("memory");
  const memory = v1 ?? (v2HasMemory ? v2 : undefined) ?? null;
  const anyV1 = mounts.hierarchies.some((h) => h.version === 1);
  return {
    release,
    boot: cmdline === undefined ? null : parseCmdline(cmdline, "/proc/cmdline"),
    meminfo: {
      percpuBytes: meminfo?.get("Percpu") ?? null,
      sUnreclaimBytes: meminfo?.get("SUnreclaim") ?? null,
      swapTotalBytes: meminfo?.get("SwapTotal") ?? null,
      memTotalBytes: meminfo?.get("MemTotal") ?? null,
    },
    topology: readTopology(host),
    mounts,
    memory,
    mode: memory === null ? "none" : anyV1 && v2 !== undefined ? "hybrid" : anyV1 ? "v1" : "v2",
  };
}

/** Every cgroup2 root has cgroup.controllers: without it the mount point is not what mountinfo says. */
function controllersOf(host: Host, h: CgroupHierarchy): string[] {
  return host.readText(`${h.mountPoint}/cgroup.controllers`).trim().split(/\s+/);
}
