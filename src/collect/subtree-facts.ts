import type { Host } from "../host/host.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import type { CgroupHierarchy } from "./mounts.js";
import type { PinScan } from "./pins.js";
import { add, NO_CHARGE, type Charge } from "./charge-reader.js";
import { isSubtreeRoot, subtreeOf } from "./subtrees.js";

export interface SubtreeFacts {
  path: string;
  live: number;
  /** Dying memcgs below it: from its cgroup.stat on v2; v1 has no per-subtree count. */
  dying: number | null;
  /** Page cache (shmem included) its dying memcgs pin, at any depth below it; null when unknown. */
  pinnedBytes: number | null;
  /** The same pins by kind (page cache, shmem, anon, swap); null when unknown. */
  pinned?: Charge | null;
}

/**
 * The reported subtrees (collect/subtrees.ts) with their counts and the pins of every live memcg
 * in them, summed. A top-level kubepods* entry also reports what its QoS children hold, so
 * top-level entries add up to the node; "/" holds what dying top-level cgroups pin.
 */
export function subtreeFacts(
  host: Host,
  h: CgroupHierarchy,
  counts: Map<string, number>,
  pins: PinScan,
  dyingTotal: number | undefined,
): SubtreeFacts[] {
  const sums = new Map<string, Charge | null>();
  for (const p of pins.pins) {
    const s = subtreeKey(p.path);
    const prev = sums.get(s);
    if (prev !== null) sums.set(s, add(prev ?? NO_CHARGE, p));
  }
  for (const u of pins.unknown) sums.set(subtreeKey(u), null);
  const own = [...counts.entries()]
    .filter(([path]) => isSubtreeRoot(path))
    .map(([path, live]) => facts(path, live, v2Dying(host, h, path), sums));
  return withRoot(nest(own), sums, h.version === 2 ? v2DyingAtRoot(own, dyingTotal) : null);
}

function subtreeKey(rel: string): string {
  return rel === "" ? "/" : subtreeOf(rel);
}

function facts(path: string, live: number, dying: number | null, sums: Map<string, Charge | null>): SubtreeFacts {
  const pinned = sums.has(path) ? (sums.get(path) ?? null) : NO_CHARGE;
  return { path, live, dying, pinnedBytes: pinned === null ? null : pinned.fileBytes, pinned };
}

function v2Dying(host: Host, h: CgroupHierarchy, path: string): number | null {
  if (h.version === 1) return null;
  const file = `${h.mountPoint}/${path}/cgroup.stat`;
  const text = host.readTextIfExists(file);
  if (text === undefined) return null;
  const st = parseCgroupStat(text, file);
  return st.nrDyingSubsysMemory ?? st.nrDyingDescendants;
}

/** A top-level kubepods* entry adds its QoS children's figures (its own dying count covers them already). */
function nest(subtrees: SubtreeFacts[]): SubtreeFacts[] {
  const byPath = new Map(subtrees.map((s) => [s.path, { ...s }]));
  for (const s of subtrees) {
    const slash = s.path.indexOf("/");
    const top = slash < 0 ? undefined : byPath.get(s.path.slice(0, slash));
    if (!top) continue;
    top.live += s.live;
    top.pinned = top.pinned == null || s.pinned == null ? null : add(top.pinned, s.pinned);
    top.pinnedBytes = top.pinned === null ? null : top.pinned.fileBytes;
  }
  return [...byPath.values()];
}

/**
 * v2: dying memcgs right below the root are counted, but their pages cannot be told from the
 * root's own processes' (the root has no memory.stat): their pins are unknown.
 */
function v2DyingAtRoot(own: SubtreeFacts[], dyingTotal: number | undefined): number {
  const below = own.filter((s) => !s.path.includes("/")).reduce((n, s) => n + (s.dying ?? 0), 0);
  return Math.max(0, (dyingTotal ?? 0) - below);
}

function withRoot(subtrees: SubtreeFacts[], sums: Map<string, Charge | null>, v2AtRoot: number | null): SubtreeFacts[] {
  if (v2AtRoot !== null) {
    const pinned = v2AtRoot === 0 ? NO_CHARGE : null;
    return [{ path: "/", live: 1, dying: v2AtRoot, pinnedBytes: pinned === null ? null : 0, pinned }, ...subtrees];
  }
  return [facts("/", 1, null, sums), ...subtrees];
}
