import type { Host } from "../host/host.js";
import type { ProcNow } from "../analyze/trace-owner.js";
import { ParseError } from "../host/errors.js";
import { readLink } from "../host/tracefs-mount.js";
import { parseProcPidStat } from "../parsers/proc-pid-stat.js";
import { parseNsPid } from "../parsers/proc-pid-status.js";
import { compactBootId, nsInode, type InstanceOwner } from "../parsers/trace-instance-name.js";

/**
 * Who this process is, as the host's procfs sees it: what a tracefs instance's name records of its
 * maker. Under --host-root the pid is the one that procfs shows, so the namespace recorded is that
 * procfs's (in a pod reading the host's /proc, the host's): pid and namespace must agree, or a
 * successor would look the pid up in the wrong namespace.
 */
export function selfOwner(host: Host): InstanceOwner {
  const bootFile = "/proc/sys/kernel/random/boot_id";
  const bootText = host.readText(bootFile);
  const bootId = compactBootId(bootText);
  if (bootId === undefined) throw new ParseError(bootFile, 1, "expected a UUID", bootText.trim());
  const { pid, startTime } = parseProcPidStat(host.readText("/proc/self/stat"), "/proc/self/stat");
  return { pid, startTime, pidNs: procfsPidNs(host), bootId };
}

/**
 * The pid namespace of the host's procfs: ours when NSpid shows one level, else its pid 1's (which
 * needs ptrace rights over pid 1); 0 when neither can be read: unknown, and 0 proves nothing.
 */
function procfsPidNs(host: Host): number {
  const statusFile = "/proc/self/status";
  const own = parseNsPid(host.readText(statusFile), statusFile)?.length === 1;
  const nsFile = own ? "/proc/self/ns/pid" : "/proc/1/ns/pid";
  let link: string;
  try {
    link = readLink(host.path(nsFile));
  } catch {
    return 0;
  }
  const ino = nsInode(link);
  if (ino === undefined) throw new ParseError(nsFile, 1, 'expected a link to "pid:[inode]"', link);
  return ino;
}

/** The process `pid` of our pid namespace now (start time, state), or null when no such process is. */
export function processNow(host: Host, pid: number): ProcNow | null {
  const file = `/proc/${pid}/stat`;
  const text = host.readTextIfExists(file);
  if (text === undefined) return null;
  const st = parseProcPidStat(text, file);
  return { startTime: st.startTime, zombie: st.state === "Z" || st.state === "X" };
}
