import type { Host } from "../host/host.js";
import type { Tool } from "../parsers/runtime-version.js";

/** Process names (comm, at most 15 characters) of each tool; docker-runc and runc are short-lived. */
const COMM: Record<string, Tool> = {
  runc: "runc",
  "docker-runc": "runc",
  containerd: "containerd",
  dockerd: "dockerd",
  crio: "crio",
  kubelet: "kubelet",
};
const MAX_PIDS = 100_000;

export interface RunningBinary {
  tool: Tool;
  pid: number;
  /** The host path to open: /proc/<pid>/exe itself on a real procfs, else the link resolved inside the root. */
  path: string;
  /** A /proc/<pid>/exe magic link: the open must follow it. */
  magicLink: boolean;
  shown: string;
}

/**
 * The binaries the host is running the tools from, by /proc/<pid>/comm and argv[0]. On a real procfs
 * /proc/<pid>/exe opens the running file itself (even one since replaced or deleted on disk, or not in
 * our mount namespace); on a plain directory tree (a copy, a fixture) the link is followed inside the
 * host root only.
 */
export function runningBinaries(host: Host): RunningBinary[] {
  const procfs = host.isProcfs("/proc");
  let pids: string[];
  try {
    pids = host
      .readDir("/proc")
      .filter((d) => /^\d{1,9}$/.test(d))
      .slice(0, MAX_PIDS);
  } catch {
    return [];
  }
  const out: RunningBinary[] = [];
  for (const pid of pids) {
    const tool = toolOf(host, pid);
    if (!tool) continue;
    const exe = `/proc/${pid}/exe`;
    const at = procfs ? exe : host.realpathUnderRoot(exe);
    if (at) out.push({ tool, pid: Number(pid), path: at, magicLink: procfs, shown: `${exe} (pid ${pid})` });
  }
  return out;
}

function toolOf(host: Host, pid: string): Tool | undefined {
  const comm = head(host, `/proc/${pid}/comm`)?.trim();
  const argv0 = head(host, `/proc/${pid}/cmdline`)?.split("\0")[0]?.split("/").pop();
  return (comm !== undefined ? COMM[comm] : undefined) ?? (argv0 !== undefined ? COMM[argv0] : undefined);
}

/** A process that exits mid-scan, or a planted non-file, is just not one of the tools. */
function head(host: Host, hostPath: string): string | undefined {
  try {
    return host.readHead(hostPath);
  } catch {
    return undefined;
  }
}
