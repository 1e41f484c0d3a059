import { readdirSync } from "node:fs";
import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { parseMemoryStat } from "../parsers/memory-stat.js";

/** A live cgroup whose dying children pin pages, and what those pages are. */
export interface ReapTarget {
  /** Relative to the hierarchy root ("" is the root itself). */
  rel: string;
  /** Page cache (shmem included) its dying children pin. */
  pinnedBytes: number;
  /** Of it, shmem/tmpfs: reclaim cannot free it without swap, and with swap it becomes swap entries that pin too. */
  shmemBytes: number;
  /** Its live children, whose page cache is the collateral. */
  liveChildren: string[];
  /** Page cache of the live part of the subtree (the parent's own and its live children's). */
  liveCacheBytes: number;
  /** Refaults of the live part so far (workingset_refault*, file and anon). */
  liveRefaults: number;
}

type Stat = Map<string, number>;

/**
 * Every live cgroup with at least `minBytes` pinned by its own dying children, found top-down:
 * a child is descended into only when something is charged below it, so leaves cost one read
 * each and nothing else. The scan reports pins per top-level subtree only; the reaper must act on
 * the parent that holds them, which can sit deeper (a pod's dying container under a live pod).
 */
export function findTargets(host: Host, h: CgroupHierarchy, minBytes: number, under = ""): ReapTarget[] {
  const out: ReapTarget[] = [];
  const visit = (rel: string, own: Stat): void => {
    const kids = liveChildren(host, h, rel);
    const stats = kids
      .map((k) => [k, readStat(host, h, k)] as const)
      .filter((e): e is readonly [string, Stat] => e[1] !== undefined);
    const t = targetOf(h, rel, own, stats);
    if (t.pinnedBytes >= minBytes) out.push(t);
    for (const [k, st] of stats) if (below(h, st) >= minBytes) visit(k, st);
  };
  const root = readStat(host, h, under);
  if (root !== undefined) visit(under, root);
  return out.sort((a, b) => b.pinnedBytes - b.shmemBytes - (a.pinnedBytes - a.shmemBytes));
}

/** The pages charged strictly below a cgroup (its children, live or dying). */
function below(h: CgroupHierarchy, st: Stat): number {
  return h.version === 1 ? (st.get("total_cache") ?? 0) - (st.get("cache") ?? 0) : (st.get("file") ?? 0);
}

/** v1: total_* minus own minus the live children's total_*; v2 (all hierarchical): minus the children's. */
function targetOf(
  h: CgroupHierarchy,
  rel: string,
  own: Stat,
  kids: ReadonlyArray<readonly [string, Stat]>,
): ReapTarget {
  const v1 = h.version === 1;
  const [cache, shmem] = v1 ? ["total_cache", "total_shmem"] : ["file", "shmem"];
  const sum = (key: string): number => kids.reduce((a, [, st]) => a + (st.get(key) ?? 0), 0);
  const ownCache = v1 ? (own.get("cache") ?? 0) : 0;
  const pinned = Math.max(0, (own.get(cache) ?? 0) - (v1 ? ownCache : 0) - sum(cache));
  const pinnedShmem = Math.max(0, (own.get(shmem) ?? 0) - (v1 ? (own.get("shmem") ?? 0) : 0) - sum(shmem));
  return {
    rel,
    pinnedBytes: pinned,
    shmemBytes: Math.min(pinned, pinnedShmem),
    liveChildren: kids.map(([k]) => k),
    liveCacheBytes: ownCache + sum(cache),
    liveRefaults: refaults(h, own, kids),
  };
}

function refaults(h: CgroupHierarchy, own: Stat, kids: ReadonlyArray<readonly [string, Stat]>): number {
  // v1 counts per memcg (plain) and per subtree (total_); older kernels have one workingset_refault.
  const keys =
    h.version === 1
      ? ["total_workingset_refault_file", "total_workingset_refault_anon", "total_workingset_refault"]
      : ["workingset_refault_file", "workingset_refault_anon", "workingset_refault"];
  const ownKeys = ["workingset_refault_file", "workingset_refault_anon", "workingset_refault"];
  const of = (st: Stat, ks: string[]): number => ks.reduce((a, k) => a + (st.get(k) ?? 0), 0);
  return (h.version === 1 ? of(own, ownKeys) : 0) + kids.reduce((a, [, st]) => a + of(st, keys), 0);
}

/** Re-reads one target's figures (after a step, or after the pass). */
export function remeasure(host: Host, h: CgroupHierarchy, rel: string): ReapTarget | null {
  const own = readStat(host, h, rel);
  if (own === undefined) return null;
  const kids = liveChildren(host, h, rel)
    .map((k) => [k, readStat(host, h, k)] as const)
    .filter((e): e is readonly [string, Stat] => e[1] !== undefined);
  return targetOf(h, rel, own, kids);
}

function liveChildren(host: Host, h: CgroupHierarchy, rel: string): string[] {
  try {
    const dir = host.path(rel === "" ? h.mountPoint : `${h.mountPoint}/${rel}`);
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => (rel === "" ? e.name : `${rel}/${e.name}`));
  } catch {
    return []; // removed since its parent was listed
  }
}

function readStat(host: Host, h: CgroupHierarchy, rel: string): Stat | undefined {
  const file = rel === "" ? `${h.mountPoint}/memory.stat` : `${h.mountPoint}/${rel}/memory.stat`;
  const text = host.readTextIfExists(file);
  return text === undefined ? undefined : parseMemoryStat(text, file);
}
