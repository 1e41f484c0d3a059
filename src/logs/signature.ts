/**
 * The log signature of a memory-cgroup leak, matched on one line: a memcg mkdir failing with
 * ENOSPC (IDs exhausted, idr kernels), EBUSY (IDs exhausted, xarray kernels, measured on 6.18 in
 * docs/lab-results.md §2) or ENOMEM, as dockerd, containerd, cri-o, kubelet, runc, crun, podman, nomad,
 * LXC/LXD, systemd and coreutils print it. Look-alikes (inotify watches, full disks, cpuset/pids, cgroup.procs writes,
 * rmdir, limit writes) fail because the errno must be bound to a *mkdir* of a *memory* cgroup.
 * `slub-possible` is the kernel's SLUB line with no per-memcg cache line after it: weak evidence.
 */
import { componentOf } from "./component.js";

export { componentOf };

export type SignatureKind =
  "mkdir-enospc" | "mkdir-ebusy" | "mkdir-enomem" | "failed-create-pod-container" | "slub-memcg" | "slub-possible";
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
// Quotes around a path: plain, typographic (coreutils), backticks (crun).
const Q = "[\"'‘’`]?";
// Event wrapping (kubectl describe, rancher) can lose the `:` before the error text.
const SEP = "\\s*:?\\s*";

/** Each form binds an errno to the creation of one path. Group 1 = path, group 2 = errno text. */
const FORMS: ReadonlyArray<{ re: RegExp; swap?: true; systemd?: true; bare?: true }> = [
  { re: new RegExp(`\\bmkdir\\s+${Q}${PATH}${Q}${SEP}${ERR}`, "i") }, // Go: runc, kubelet, dockerd, containerd, cri-o, nomad
  { re: new RegExp(`\\bmkdir\\s+${Q}${PATH}${Q}${SEP}${ERR_CUT}`, "i") },
  { re: new RegExp(`cannot create directory\\s+${Q}${PATH}${Q}${SEP}${ERR}`, "i") }, // coreutils
  { re: new RegExp(`${ERR}\\s+-\\s+failed to create directory\\s+["']${PATH}["']`, "i"), swap: true }, // lxc utils.c
  // LXC as reports quote it (`Failed to create /sys/fs/cgroup/memory//lxc/x: ...`); crun's crun_make_error
  // ("creating cgroup directory `%s`" + ": " + strerror, src/libcrun/cgroup.c)
  { re: new RegExp(`(?:failed to create|creating)(?: cgroup)?(?: directory)?\\s+${Q}${PATH}${Q}\\s*:\\s*${ERR}`, "i") },
  { re: /\bmkdir(?:at)?\((?:AT_FDCWD,\s*)?"(\/[^"]*)",\s*\d+\)\s*=\s*-1\s+(ENOSPC|EBUSY|ENOMEM)\b/ }, // strace
  { re: new RegExp(`Failed to create cgroup\\s+${PATH}\\s*:\\s*${ERR}`, "i"), systemd: true }, // systemd unit_create_cgroup
  { re: new RegExp(`(?:^|[\\s"'(\\[])${PATH}\\/?${Q}\\s*:\\s*${ERR}`, "i"), bare: true }, // a cgroup directory and the errno alone
];

// v1 hierarchies that are not memory: an errno from mkdir there says nothing about memcg IDs.
const OTHER_HIERARCHIES = new Set([
  "cpuset",
  "cpu",
  "cpuacct",
  "blkio",
  "io",
  "devices",
  "freezer",
  "net_cls",
  "net_prio",
  "perf_event",
  "hugetlb",
  "pids",
  "rdma",
  "misc",
  "systemd",
  "unified",
  "elogind",
  "schedtune",
]);
// A control file, not a directory: an errno on it comes from a write (limits, cpuset, cgroup.procs).
const CONTROL_FILE =
  /\/(?:(?:memory|cgroup|cpuset|cpu|cpuacct|blkio|io|pids|hugetlb|devices|freezer|net_cls|net_prio|rdma|misc)\.[\w.]+|tasks|notify_on_release|release_agent)$/;
// Before a bare path, nothing or a log prefix may stand; a verb (write, rmdir, inotify_add_watch) owns the errno.
const BARE_PREFIX = /(?:^|[:\]>])\s*["'(\[]?$/;

/** Quick reject so a 1 GB log costs one regex test per line. */
export const PREFILTER = /mkdir|creat|no space|resource busy|allocate memory|SLUB: Unable|cache:/i;

/** Undoes double/triple JSON quoting (`\\\"mkdir ...\\\"`) so the forms see plain text. */
export function unquote(line: string): string {
  return line.includes("\\") ? line.replace(/\\+(["'])/g, "$1") : line;
}

// Full-width punctuation (CJK input methods, translated consoles) read as its ASCII twin.
const FULL_WIDTH: Record<string, string> = {
  "：": ":",
  "，": ",",
  "（": "(",
  "）": ")",
  "“": '"',
  "”": '"',
  "　": " ",
};

/** The text the forms see: unquoted, full-width punctuation folded to ASCII. */
export function normalize(line: string): string {
  const u = unquote(line);
  return /[：，（）“”　]/.test(u) ? u.replace(/[：，（）“”　]/g, (c) => FULL_WIDTH[c] ?? c) : u;
}

/** Matches one log line (possibly quoted twice, cut at the end, or with full-width punctuation). Pure. */
export function matchLine(raw: string): LogMatch | undefined {
  if (!PREFILTER.test(raw)) return undefined;
  const line = normalize(raw);
  for (const form of FORMS) {
    const m = form.re.exec(line);
    if (!m) continue;
    const path = (form.swap ? m[2] : m[1]) as string;
    const errno = toErrno((form.swap ? m[1] : m[2]) as string);
    if (!errno || !pathCounts(form, path, line, m.index)) continue;
    return { kind: kindOf(line, errno), errno, path, component: componentOf(line) };
  }
  return undefined;
}

function pathCounts(form: { systemd?: true; bare?: true }, path: string, line: string, at: number): boolean {
  if (form.systemd && !/^\/(?:sys|cgroup|host|rootfs)\//.test(path)) return true; // a hierarchy path: /system.slice/x.scope
  if (!isMemoryCgroupPath(path)) return false;
  if (!form.bare) return true;
  return !CONTROL_FILE.test(path.replace(/\/+$/, "")) && BARE_PREFIX.test(line.slice(0, line.indexOf(path, at)));
}

function toErrno(text: string): Errno | undefined {
  const t = text
    .toLowerCase()
    .replace(/(\.\.\.|…)$/, "")
    .trim();
  if (/^e(nospc|busy|nomem)$/.test(t)) return t.toUpperCase() as Errno;
  return ERRNO_TEXT.find(([, full]) => full.startsWith(t) || t.startsWith(full))?.[0];
}

function kindOf(line: string, errno: Errno): SignatureKind {
  if (
    /FailedCreatePodContainer|unable to ensure pod container exists|failed to create container for \[kubepods/i.test(
      line,
    )
  ) {
    return "failed-create-pod-container";
  }
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
