import type { Host } from "../host/host.js";
import { ParseError } from "../host/errors.js";
import { readLink } from "../host/tracefs-mount.js";
import { parseProcPidStat } from "../parsers/proc-pid-stat.js";
import { compactBootId, nsInode, type InstanceOwner } from "../parsers/trace-instance-name.js";

/**
 * Who this process is, as the host's procfs sees it (under --host-root the pid and pid namespace
 * are those of that procfs): what a tracefs instance's name records of its maker.
 */
export function selfOwner(host: Host): InstanceOwner {
  const bootFile = "/proc/sys/kernel/random/boot_id";
  const bootText = host.readText(bootFile);
  const bootId = compactBootId(bootText);
  if (bootId === undefined) throw new ParseError(bootFile, 1, "expected a UUID", bootText.trim());
  const nsFile = "/proc/self/ns/pid";
  const link = readLink(host.path(nsFile));
  const pidNs = nsInode(link);
  if (pidNs === undefined) throw new ParseError(nsFile, 1, 'expected a link to "pid:[inode]"', link);
  const { pid, startTime } = parseProcPidStat(host.readText("/proc/self/stat"), "/proc/self/stat");
  return { pid, startTime, pidNs, bootId };
}

/** The start time of the process `pid` in our pid namespace now, or null when no such process runs. */
export function startTimeOf(host: Host, pid: number): number | null {
  const file = `/proc/${pid}/stat`;
  const text = host.readTextIfExists(file);
  return text === undefined ? null : parseProcPidStat(text, file).startTime;
}
