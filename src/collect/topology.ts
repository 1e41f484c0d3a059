import type { Host } from "../host/host.js";
import { parseCpuListCount } from "../parsers/cpu-list.js";

/** What the per-CPU and per-node parts of a memcg's kernel memory scale with. */
export interface Topology {
  /** Possible CPUs: the kernel sizes every per-CPU allocation for them, online or not. Null: unknown. */
  cpus: number | null;
  cpusFrom: string;
  /** Possible NUMA nodes (nr_node_ids); 1 on kernels built without NUMA. Null: unknown. */
  nodes: number | null;
  nodesFrom: string;
}

const CPU_POSSIBLE = "/sys/devices/system/cpu/possible";
const NODE_POSSIBLE = "/sys/devices/system/node/possible";

/**
 * Possible CPUs and nodes. A DaemonSet that mounts only the host's /proc sees no /sys: there the
 * online CPUs of /proc/stat stand in, a lower bound (possible CPUs include hot-pluggable ones).
 */
export function readTopology(host: Host): Topology {
  const cpuText = host.readTextIfExists(CPU_POSSIBLE);
  const nodeText = host.readTextIfExists(NODE_POSSIBLE);
  const cpus =
    cpuText !== undefined
      ? { cpus: parseCpuListCount(cpuText, CPU_POSSIBLE), cpusFrom: CPU_POSSIBLE }
      : onlineCpus(host);
  if (nodeText !== undefined)
    return { ...cpus, nodes: parseCpuListCount(nodeText, NODE_POSSIBLE), nodesFrom: NODE_POSSIBLE };
  // sysfs is there but has no node directory: a kernel built without NUMA has one node
  if (cpuText !== undefined)
    return { ...cpus, nodes: 1, nodesFrom: `${NODE_POSSIBLE} absent while ${CPU_POSSIBLE} is there: no NUMA` };
  return { ...cpus, nodes: null, nodesFrom: `${NODE_POSSIBLE} unreadable` };
}

function onlineCpus(host: Host): { cpus: number | null; cpusFrom: string } {
  const stat = host.readTextIfExists("/proc/stat");
  const n = stat === undefined ? 0 : stat.split("\n").filter((l) => /^cpu\d+\s/.test(l)).length;
  if (n === 0) return { cpus: null, cpusFrom: `${CPU_POSSIBLE} and /proc/stat unreadable` };
  return { cpus: n, cpusFrom: `/proc/stat (${CPU_POSSIBLE} unreadable: online CPUs, possible ones may be more)` };
}
