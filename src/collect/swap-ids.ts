import type { Host } from "../host/host.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import { parseSingleValue } from "../parsers/single-value.js";
import { parseMeminfo } from "../parsers/meminfo.js";
import type { CgroupHierarchy } from "./mounts.js";
import { walkCgroupDirs } from "../host/walk.js";

/** One swap entry is one page: a dying memcg that keeps its ID holds at least one. */
const PAGE = 4096;

export interface SwapIdBound {
  /** At most this many dying memcgs can still hold an ID through swap entries. */
  pinnedHigh: number;
  /** Cgroups read (cost: follows the paths that have dying descendants, not the tree). */
  visited: number;
  basis: string;
}

/**
 * How many dying memcgs swap can keep holding IDs, bounded from above. Since 73f576c04b94 (4.8)
 * the only references on a dying memcg's ID are swap entries charged to it, and every such entry
 * is also charged, hierarchically, to each live ancestor's memory.swap.current. So below a live
 * cgroup X, the dying memcgs whose nearest live ancestor is X hold at most
 *   min(their count, pages of (X's swap - its live children's swap))
 * IDs: X's own swap is in that difference too, so it is an upper bound, exact at 0. The walk
 * descends only into live cgroups with dying descendants. v2 only: v1 has no per-cgroup dying
 * count (null); so does a kernel without memory.swap.current (swap accounting off), where swap
 * entries still take IDs but are charged nowhere we can read.
 */
export function boundSwapPinnedIds(host: Host, h: CgroupHierarchy): SwapIdBound | null {
  if (h.version !== 2) return null;
  const acc = { pinned: 0, visited: 0, unaccounted: false };
  const rootSwap = usedSwapBytes(host);
  if (rootSwap === null) return null;
  visit(host, h.mountPoint, rootSwap, acc);
  if (acc.unaccounted) return null;
  return {
    pinnedHigh: acc.pinned,
    visited: acc.visited,
    basis:
      "dying memcgs that keep an ID hold swap charged to their live ancestors: at most min(dying, swap pages not held by live children) under each live cgroup (memory.swap.current, cgroup.stat)",
  };
}

interface Acc {
  pinned: number;
  visited: number;
  unaccounted: boolean;
}

function visit(host: Host, dir: string, swapBytes: number, acc: Acc): void {
  acc.visited++;
  const dying = dyingBelow(host, dir);
  if (dying === undefined || dying === 0) return;
  let ownedDying = dying;
  let freeSwap = swapBytes;
  for (const child of liveChildren(host, dir)) {
    const childDying = dyingBelow(host, child);
    const childSwap = readNumber(host, `${child}/memory.swap.current`);
    if (childDying === undefined) continue; // removed during the walk: its part stays with dir
    if (childSwap === undefined) {
      // memory off for this child, or swap accounting off: its dying are not bounded
      if (host.exists(`${child}/memory.current`)) acc.unaccounted = true;
      continue;
    }
    ownedDying -= childDying;
    freeSwap -= childSwap;
    if (childDying > 0) visit(host, child, childSwap, acc);
  }
  acc.pinned += Math.min(Math.max(0, ownedDying), Math.ceil(Math.max(0, freeSwap) / PAGE));
}

function dyingBelow(host: Host, dir: string): number | undefined {
  const file = `${dir}/cgroup.stat`;
  const text = host.readTextIfExists(file);
  return text === undefined ? undefined : parseCgroupStat(text, file).nrDyingDescendants;
}

function readNumber(host: Host, file: string): number | undefined {
  const text = host.readTextIfExists(file);
  return text === undefined ? undefined : parseSingleValue(text, file);
}

function liveChildren(host: Host, dir: string): string[] {
  const kids: string[] = [];
  try {
    walkCgroupDirs(
      host.path(dir),
      (e) => e.depth === 1 && kids.push(`${dir}/${e.rel}`),
      (e) => e.depth === 0,
    );
  } catch {
    return []; // removed meanwhile: its dying are counted at its parent
  }
  return kids;
}

/** The root has no memory.swap.current: all swap in use is the most its descendants can hold. */
function usedSwapBytes(host: Host): number | null {
  const text = host.readTextIfExists("/proc/meminfo");
  if (text === undefined) return null;
  const m = parseMeminfo(text);
  const total = m.get("SwapTotal");
  const free = m.get("SwapFree");
  return total === undefined || free === undefined ? null : total - free;
}
