/**
 * The log signature of a memory-cgroup leak, matched on one line: a memcg mkdir failing with
 * ENOSPC (IDs exhausted, idr kernels), EBUSY (IDs exhausted, xarray kernels, measured on 6.18 in
 * kernel-lab.md) or ENOMEM, as dockerd, containerd, cri-o, kubelet, runc, lxc, systemd and
 * coreutils print it. Look-alikes (inotify watches, full disks, cpuset/pids, cgroup.procs writes,
 * rmdir, limit writes) fail because the errno must be bound to a *mkdir* of a *memory* cgroup.
 */
export type SignatureKind =
  | "mkdir-enospc"
  | "mkdir-ebusy"
  | "mkdir-enomem"
  | "failed-create-pod-container"
  | "slub-memcg";
export type Errno = "ENOSPC" | "EBUSY" | "ENOMEM";

export interface LogMatch {
  kind: SignatureKind;
  errno?: Errno;
  /** The cgroup path whose mkdir failed (as logged: filesystem path or, for systemd, hierarchy path). */
  path?: string;
  /** Who logged it: syslog tag (dockerd, kubelet, kernel, ...) or a guess from the text. */
  component?: string;
  /** slub-memcg only: the per-memcg slab cache named in the kernel's `cache:` line. */
  cache?: string;
}

const ERRNO_TEXT: ReadonlyArray<[Errno, string]> = [
  ["ENOSPC", "no space left on device"],
  ["EBUSY", "device or resource busy"],
  ["ENOMEM", "cannot allocate memory"],
];
const ERR = "(no space left on device|device or resource busy|cannot allocate memory)";
// A line cut by a log shipper or `kubectl describe` may end inside the errno text.
const ERR_CUT = "(no space(?: [a-z ]*)?|device or(?: [a-z ]*)?|cannot all[a-z ]*)(?:\\.\\.\\.|…)?\\s*$";
const PATH = "(\\/\\S*?)";

/** Each form binds an errno to a mkdir of one path. Group 1 = path, group 2 = errno text. */
const FORMS: ReadonlyArray<{ re: RegExp; swap?: true; systemd?: true }> = [
  { re: new RegExp(`\\bmkdir\\s+["'‘]?${PATH}["'’]?\\s*:\\s*${ERR}`, "i") }, // Go: runc, kubelet, dockerd
  { re: new RegExp(`\\bmkdir\\s+["'‘]?${PATH}["'’]?\\s*:\\s*${ERR_CUT}`, "i") },
  { re: new RegExp(`cannot create directory\\s+["'‘’]${PATH}["'‘’]\\s*:\\s*${ERR}`, "i") }, // coreutils
  { re: new RegExp(`${ERR}\\s+-\\s+failed to create directory\\s+["']${PATH}["']`, "i"), swap: true }, // lxc
  { re: /\bmkdir(?:at)?\((?:AT_FDCWD,\s*)?"(\/[^"]*)",\s*\d+\)\s*=\s*-1\s+(ENOSPC|EBUSY|ENOMEM)\b/ }, // strace
  { re: new RegExp(`Failed to create cgroup\\s+${PATH}\\s*:\\s*${ERR}`, "i"), systemd: true }, // systemd unit_create_cgroup
];

// v1 hierarchies that are not memory: an errno from mkdir there says nothing about memcg IDs.
const OTHER_HIERARCHIES = new Set([
  "cpuset", "cpu", "cpuacct", "blkio", "io", "devices", "freezer", "net_cls", "net_prio",
  "perf_event", "hugetlb", "pids", "rdma", "misc", "systemd", "unified", "elogind",
]);

/** Quick reject so a 1 GB log costs one regex test per line. */
export const PREFILTER = /mkdir|create directory|create cgroup|SLUB: Unable/i;

/** Undoes double/triple JSON quoting (`\\\"mkdir ...\\\"`) so the forms see plain text. */
export function unquote(line: string): string {
  return line.includes("\\") ? line.replace(/\\+(["'])/g, "$1") : line;
}

/** Matches one log line (possibly quoted twice or cut at the end). Pure; no context. */
export function matchLine(raw: string): LogMatch | undefined {
  if (!PREFILTER.test(raw)) return undefined;
  const line = unquote(raw);
  for (const form of FORMS) {
    const m = form.re.exec(line);
    if (!m) continue;
    const path = (form.swap ? m[2] : m[1]) as string;
    const errno = toErrno((form.swap ? m[1] : m[2]) as string);
    if (!errno || !(form.systemd || isMemoryCgroupPath(path))) continue;
    return { kind: kindOf(line, errno), errno, path, component: componentOf(line) };
  }
  return undefined;
}

function toErrno(text: string): Errno | undefined {
  const t = text.toLowerCase().replace(/(\.\.\.|…)$/, "").trim();
  if (/^e(nospc|busy|nomem)$/.test(t)) return t.toUpperCase() as Errno;
  return ERRNO_TEXT.find(([, full]) => full.startsWith(t) || t.startsWith(full))?.[0];
}

function kindOf(line: string, errno: Errno): SignatureKind {
  if (/FailedCreatePodContainer|unable to ensure pod container exists/i.test(line)) return "failed-create-pod-container";
  return errno === "ENOSPC" ? "mkdir-enospc" : errno === "EBUSY" ? "mkdir-ebusy" : "mkdir-enomem";
}

/**
 * True for a directory in a memory cgroup: under a cgroup mount, in a v1 hierarchy whose name
 * includes "memory" (`memory`, `cpu,memory`), or in a cgroup v2 tree (`/sys/fs/cgroup/kubepods.slice`),
 * where mkdir fails with ENOSPC/EBUSY only for memcg IDs. Disk paths (/var/lib/...) are not.
 */
export function isMemoryCgroupPath(path: string): boolean {
  const m = /(?:^|\/)cgroup\/+([^/]+)/.exec(path);
  if (!m || !/^(?:\/host|\/rootfs)?(?:\/sys\/fs)?\/cgroup\//.test(path)) return false;
  const hierarchy = (m[1] as string).toLowerCase();
  const parts = hierarchy.split(",");
  if (parts.includes("memory")) return true;
  if (hierarchy.startsWith("name=")) return false;
  return !parts.some((p) => OTHER_HIERARCHIES.has(p));
}

const SYSLOG_TAG =
  /^(?:[A-Z][a-z]{2}\s+\d{1,2}\s+[\d:]{8}|\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+([^\s[:]+)(?:\[\d+\])?:/;
const TAGS: Record<string, string> = {
  docker: "dockerd", dockerd: "dockerd", containerd: "containerd", crio: "crio", "cri-o": "crio",
  kubelet: "kubelet", hyperkube: "kubelet", runc: "runc", systemd: "systemd", kernel: "kernel",
};
const GUESSES: ReadonlyArray<[RegExp, string]> = [
  [/FailedCreatePodContainer|unable to ensure pod container|pod_container_manager|kubelet/i, "kubelet"],
  [/Handler for POST|dockerd|Error response from daemon/i, "dockerd"],
  [/containerd/i, "containerd"],
  [/\bcri-?o\b/i, "crio"],
  [/SLUB:|\bkernel:/, "kernel"],
  [/container_linux\.go|process_linux\.go|\brunc\b/i, "runc"],
  [/\blxc/i, "lxc"],
  [/Failed to create cgroup/, "systemd"],
  [/^mkdir(?::|\()/, "shell"],
];

/** The component that logged a line: its syslog/journal tag, else a guess from the message. */
export function componentOf(line: string): string {
  const tag = SYSLOG_TAG.exec(line)?.[1];
  if (tag) return TAGS[tag.toLowerCase()] ?? tag;
  return GUESSES.find(([re]) => re.test(line))?.[1] ?? "unknown";
}
