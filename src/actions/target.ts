import * as fs from "node:fs";
import * as path from "node:path";
import type { Host } from "../host/host.js";

/** statfs f_type of the filesystems a cgroup lives on (include/uapi/linux/magic.h). */
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** An action refused before it touched anything: one line saying which target and why. */
export class TargetRefused extends Error {
  override name = "HostWriteError" as const;
  constructor(
    readonly target: string,
    why: string,
  ) {
    super(`Refusing to act on ${target}: ${why}`);
  }
}

/**
 * Runs `act` with the working directory set to the cgroup directory `hostDir` after checking what
 * that directory really is: a directory, on a cgroup filesystem (statfs magic), whose real path
 * is under the host root. `act` must then name its target relative to "." with one path component
 * (rmdir(name), open(name)): the kernel resolves that in the directory checked, whatever happens
 * to the paths meanwhile, because the working directory holds the inode, not the path. So a `..`
 * mount point, a symlinked mount point or cgroup, or a parent swapped for a symlink between
 * listing and acting lead to a refusal, never to a change elsewhere.
 * What remains: between the check and the act, cgroup v1 lets a cgroup be renamed within its
 * hierarchy; the directory acted on is then still the one checked, a cgroup on the same
 * filesystem, possibly under another name. Node has no rmdirat/openat, so this needs chdir: the
 * main thread only (worker threads cannot change directory).
 */
export function inCgroupDir<T>(host: Host, hostDir: string, act: () => T): T {
  const back = process.cwd();
  try {
    try {
      process.chdir(host.path(hostDir));
    } catch (err) {
      throw new TargetRefused(hostDir, `cannot enter it (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    checkHere(host, hostDir);
    return act();
  } finally {
    process.chdir(back);
  }
}

function checkHere(host: Host, hostDir: string): void {
  const here = process.cwd();
  const root = realRoot(host);
  if (root !== "/" && here !== root && !here.startsWith(root + "/")) {
    throw new TargetRefused(hostDir, `it resolves to ${here}, outside the host root ${root}`);
  }
  const type = fs.statfsSync(".").type;
  if (type !== CGROUP_SUPER_MAGIC && type !== CGROUP2_SUPER_MAGIC) {
    throw new TargetRefused(hostDir, `${here} is not on a cgroup filesystem (statfs type 0x${type.toString(16)})`);
  }
}

function realRoot(host: Host): string {
  return fs.realpathSync(host.root);
}

/** One path component naming a child of the working directory; anything else is refused. */
export function childName(target: string, name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new TargetRefused(target, `"${name}" is not a cgroup directory name`);
  }
  return name;
}

/** The directory and the last component of a path below a mount point. */
export function splitTarget(mountPoint: string, rel: string): { dir: string; name: string } {
  const parent = path.posix.dirname(rel);
  return { dir: parent === "." ? mountPoint : `${mountPoint}/${parent}`, name: path.posix.basename(rel) };
}
