import type { Host } from "../host/host.js";
import { HostReadError } from "../host/errors.js";
import { parseProcCgroups, memorySubsys, type CgroupSubsys } from "../parsers/proc-cgroups.js";

/** The memory controller's line of /proc/cgroups; a kernel without one is a host cgleak cannot read. */
export function readMemorySubsys(host: Host): CgroupSubsys {
  const file = "/proc/cgroups";
  const mem = memorySubsys(parseProcCgroups(host.readText(file), file));
  if (!mem) throw new HostReadError(file, "ENOMEM_CTRL", "the kernel has no memory controller line");
  return mem;
}
