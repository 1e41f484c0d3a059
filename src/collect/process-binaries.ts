import * as fs from "node:fs";
import type { Host } from "../host/host.js";
import type { Tool } from "../parsers/runtime-version.js";

/** Process names (comm, at most 15 characters) of each tool; docker-runc and runc are short-lived. */
const COMM: Record<string, Tool> = { runc: "runc", "docker-runc": "runc", containerd: "containerd", dockerd: "dockerd", crio: "crio", kubelet: "kubelet" };
const PROC_SUPER_MAGIC = 0x9fa0;
const MAX_PIDS = 100_000;

export interface RunningBinary { tool: Tool; pid: number; /** A path we may open: the /proc/<pid>/exe magic link on a real procfs. */ real: string; magicLink: boolean; shown: string }

/**
 * The binaries the host is running the tools from, by /proc/<pid>/comm and argv[0]. On a real procfs
 * /proc/<pid>/exe opens the running file itself (even one since replaced or deleted on disk, or not in
 * our mount namespace); on a plain directory tree (a copy, a fixture) the link is followed inside the
 * host root only, through `resolve`.
 */
export function runningBinaries(host: Host, resolve: (hostPath: string) => string | undefined): RunningBinary[] {
  const procfs = isProcfs(host.path("/proc"));
  let pids: string[];
  try {
    pids = fs.readdirSync(host.path("/proc")).filter((d) => /^\d{1,9}$/.test(d)).slice(0, MAX_PIDS);
  } catch {
    return [];
  }
  const out: RunningBinary[] = [];
  for (const pid of pids) {
    const tool = toolOf(host, pid);
    if (!tool) continue;
    const exe = `/proc/${pid}/exe`;
    const real = procfs ? host.path(exe) : resolve(exe);
    if (real) out.push({ tool, pid: Number(pid), real, magicLink: procfs, shown: `${exe} (pid ${pid})` });
  }
  return out;
}

function toolOf(host: Host, pid: string): Tool | undefined {
  const comm = small(host.path(`/proc/${pid}/comm`))?.trim();
  const argv0 = small(host.path(`/proc/${pid}/cmdline`))?.split("\0")[0]?.split("/").pop();
  return (comm !== undefined ? COMM[comm] : undefined) ?? (argv0 !== undefined ? COMM[argv0] : undefined);
}

/** The first 4 KiB of a small pseudo-file, refusing anything that is not a regular file. */
function small(p: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
    if (!fs.fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(4096);
    return buf.toString("utf8", 0, fs.readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isProcfs(p: string): boolean {
  try {
    return fs.statfsSync(p).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}
