import type { Host } from "../host/host.js";
import { parseMemoryStat } from "../parsers/memory-stat.js";
import { requireKey } from "../parsers/keyed.js";
import type { CgroupHierarchy } from "./mounts.js";

/**
 * Page cache (shmem included) that a subtree is charged for but none of its live memcgs holds:
 * what its dying memcgs pin. A parent's hierarchical charge still includes its dying children's
 * pages, so on v1 `total_cache - cache - sum(live children's total_cache)` is exactly the dying
 * children's page cache (docs/lab-results.md §1: 30 dying x 1 MiB showed as 30 720 KiB). v2 counters
 * are all hierarchical and a parent with children holds no pages of its own: `file - sum(file)`.
 * Returns null when the parent's memory.stat cannot be read.
 */
export function readSubtreeCharges(
  host: Host,
  h: CgroupHierarchy,
  path: string,
  liveChildren: string[],
): number | null {
  const key = h.version === 1 ? "total_cache" : "file";
  const own = readStat(host, h, path);
  if (own === undefined) return null;
  let rest = need(own, key, h, path) - (h.version === 1 ? need(own, "cache", h, path) : 0);
  // Nothing charged below the parent itself: no child can hold pages, so none are pinned either.
  if (rest <= 0) return 0;
  for (const child of liveChildren) {
    // A child removed since the walk has become one of the dying: its pages now count as pinned.
    const stat = readStat(host, h, child);
    if (stat !== undefined) rest -= need(stat, key, h, child);
  }
  return Math.max(0, rest);
}

/** A key memory.stat always has on this cgroup version: missing, the file is not the kernel's. */
function need(stat: Map<string, number>, key: string, h: CgroupHierarchy, rel: string): number {
  return requireKey(stat, key, statFile(h, rel));
}

function statFile(h: CgroupHierarchy, rel: string): string {
  return rel === "" ? `${h.mountPoint}/memory.stat` : `${h.mountPoint}/${rel}/memory.stat`;
}

function readStat(host: Host, h: CgroupHierarchy, rel: string): Map<string, number> | undefined {
  const file = statFile(h, rel);
  const text = host.readTextIfExists(file);
  return text === undefined ? undefined : parseMemoryStat(text, file);
}
