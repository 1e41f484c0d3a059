import type { Host } from "../host/host.js";
import { HostReadError } from "../host/errors.js";
import { parseMountInfo, type MountInfo } from "../parsers/mountinfo.js";

/** A cgroup hierarchy mounted on the host. */
export interface CgroupHierarchy {
  version: 1 | 2;
  /** Host-absolute mount point, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The part of the hierarchy this mount shows; "/" unless we run inside a cgroup namespace. */
  root: string;
  /** v1: the controllers bound to it (with "name=systemd" for named hierarchies). */
  controllers: string[];
}

export interface CgroupMounts {
  /** The mountinfo file the mounts came from (host-absolute). */
  source: string;
  hierarchies: CgroupHierarchy[];
}

/**
 * Reads the cgroup mounts from PID 1's mountinfo under the host root, falling back to
 * self when PID 1 is hidden (hidepid), as node_exporter does.
 */
export function readCgroupMounts(host: Host): CgroupMounts {
  let first: HostReadError | undefined;
  for (const source of ["/proc/1/mountinfo", "/proc/self/mountinfo"]) {
    let text: string;
    try {
      text = host.readText(source);
    } catch (err) {
      // EACCES under hidepid, or no such file: the next candidate is the documented fallback.
      if (!(err instanceof HostReadError)) throw err;
      first ??= err;
      continue;
    }
    return { source, hierarchies: cgroupHierarchies(parseMountInfo(text, source)) };
  }
  // Without a mountinfo nothing says where (or whether) the memory controller is mounted: that is
  // an unreadable host, not a kernel booted with cgroup_disable=memory.
  throw new HostReadError(
    `${first?.file ?? "/proc/1/mountinfo"} (and /proc/self/mountinfo)`,
    first?.code ?? "ENOENT",
    first?.detail ?? "no such file",
  );
}

/** The cgroup and cgroup2 mounts; a hierarchy mounted twice is kept once (the first mount). */
export function cgroupHierarchies(mounts: MountInfo[]): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (m.fsType !== "cgroup" && m.fsType !== "cgroup2") continue;
    const version = m.fsType === "cgroup2" ? 2 : 1;
    const controllers = version === 1 ? v1Controllers(m.superOptions) : [];
    const key = version === 2 ? "cgroup2" : controllers.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ version, mountPoint: m.mountPoint, root: m.root, controllers });
  }
  return out;
}

const V1_NON_CONTROLLER_OPTIONS = new Set([
  "rw",
  "ro",
  "noprefix",
  "clone_children",
  "xattr",
  "cpuset_v2_mode",
  "favordynmods",
]);

function v1Controllers(superOptions: string[]): string[] {
  return superOptions.filter((o) => !V1_NON_CONTROLLER_OPTIONS.has(o) && !o.startsWith("release_agent="));
}
