import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { removeTree } from "../actions/rmdir.js";
import { Host } from "../host/host.js";
import { readMemorySubsys } from "../collect/memory-subsys.js";

/** Where this machine mounts the v1 memory controller, if it does. */
export const MEMCG_V1 = "/sys/fs/cgroup/memory";

/** The reason a real-kernel test must skip here, or false when it can run. */
export function needsRootMemcgV1(): string | false {
  if (process.platform !== "linux") return "needs Linux";
  if (process.getuid?.() !== 0) return "needs root to create memory cgroups";
  if (!fs.existsSync(path.join(MEMCG_V1, "memory.usage_in_bytes"))) {
    return `needs the cgroup v1 memory controller at ${MEMCG_V1}`;
  }
  return false;
}

/** A name no other test run uses, so parallel runs and leftovers never collide. */
export function uniqueName(tag: string): string {
  return `cgleak-test-${process.pid}-${tag}-${Date.now().toString(36)}`;
}

/** memory num_cgroups from the real /proc/cgroups: live + dying memcgs. */
export function kernelMemcgTotal(): number {
  return readMemorySubsys(new Host("/")).numCgroups;
}

/**
 * Runs `sh -c script` in a child that first joins `cgroup` (its own pid, never the runner's).
 * The cgroup is a real path. Throws when the script fails.
 */
export function runInCgroup(cgroup: string, script: string): string {
  const r = spawnSync("sh", ["-c", `echo $$ > ${cgroup}/cgroup.procs && ${script}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sh in ${cgroup} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Removes a cgroup tree deepest first (actions/rmdir.ts), throwing what it could not remove. */
export function removeCgroupTree(dir: string): void {
  const problems: string[] = [];
  removeTree(dir, problems);
  if (problems.length > 0) throw new Error(problems.join("; "));
}

/** Frees dying memcgs pinned by page cache: the files are deleted first, then sync and drop caches. */
export function syncAndDropCaches(): void {
  spawnSync("sync");
  fs.writeFileSync("/proc/sys/vm/drop_caches", "3");
}
