import type { Host } from "../host/host.js";
import { readMemorySubsys } from "./memory-subsys.js";
import { ParseError } from "../host/errors.js";
import { parseCgroupStat, type CgroupStat } from "../parsers/cgroup-stat.js";
import type { CgroupHierarchy } from "./mounts.js";
import { walkCgroupDirs, type WalkEntry } from "./walk.js";
import { childrenAreSubtreeRoots, isSubtreeRoot, subtreeOf } from "./subtrees.js";
import { readSubtreeCharges } from "./charges.js";
import { PerMemcgReader, type PerMemcgFacts } from "./per-memcg.js";

/** What the memory hierarchy holds, as read. Decisions (ID use, status) are analysis's. */
export interface MemcgFacts {
  version: 1 | 2;
  /** Host-absolute mount point of the memory hierarchy. */
  mountPoint: string;
  /** Live + dying memcgs, kernel-wide. */
  kernelTotal: number;
  totalSource: string;
  /** Where the kernel's own memcg count was read (file and line); null when composed from the walk. */
  totalAt: { file: string; line: number } | null;
  /** Memory cgroup directories, the root included. */
  live: number;
  dying: number;
  dyingSource: string;
  /** Cgroups removed while the walk ran: skipped, not an error. */
  vanished: number;
  walkSeconds: number;
  subtrees: SubtreeFacts[];
  /** Per-memcg files (empty cgroups, kmem), when they were read. */
  perMemcg: PerMemcgFacts | null;
}

export interface SubtreeFacts {
  path: string;
  live: number;
  /** Dying memcgs below it: from its cgroup.stat on v2; v1 has no per-subtree count. */
  dying: number | null;
  /** Page cache and shmem charged to the subtree but held by none of its live memcgs: its dying ones' pins. */
  pinnedBytes: number | null;
}

export interface MemcgOptions {
  /**
   * Read per-memcg files: empty cgroups (cgroup.procs / cgroup.events) and kmem, but only when the
   * hierarchy has at most `upTo` memcgs (Infinity: always; 0: never), since each costs three
   * system calls per memcg.
   */
  perMemcg: { empty: boolean; kmem: boolean; upTo: number };
  now: number;
  emptyMinAgeMs: number;
}

/** Counts the memory controller's cgroups on a v1 or v2 hierarchy. */
export function collectMemcg(host: Host, h: CgroupHierarchy, opts: MemcgOptions): MemcgFacts {
  const started = process.hrtime.bigint();
  const root = host.path(h.mountPoint);
  const tally = new SubtreeTally();
  const wanted = opts.perMemcg.empty || opts.perMemcg.kmem ? opts.perMemcg.upTo : 0;
  let kept: WalkEntry[] | null = wanted > 0 ? [] : null;
  let memcgs = 0;
  const visit = (e: WalkEntry): void => {
    memcgs++;
    tally.visit(e);
    if (kept !== null) kept = kept.length < wanted ? (kept.push(e), kept) : null;
  };
  // On v2 a child is a memcg only where its parent enabled memory in cgroup.subtree_control.
  const descend = h.version === 1 ? undefined : (e: WalkEntry): boolean => {
    const ctl = host.readTextIfExists(`${h.mountPoint}/${e.rel}/cgroup.subtree_control`) ?? "";
    return ctl.split(/\s+/).includes("memory");
  };
  // The kernel's count is read on both sides of the walk: a memcg made or freed meanwhile moves one
  // read but not the other, so only a count below the walk's on both sides is impossible.
  const readTotal = (): Total => (h.version === 1 ? v1Total(host) : v2Total(host, h, memcgs));
  const before = readTotal();
  const walk = walkOrRetell(host, root, visit, descend);
  const walkSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const per = kept === null ? null : readPerMemcg(host, h, opts, kept);
  const live = memcgs;
  const total = readTotal();
  if (total.at !== null) assertNotBelowLive(total, before, live, h.mountPoint);
  // Above the bound check, one read may still trail a walk that raced with memcgs being freed.
  const dying = total.dying ?? Math.max(0, total.total - live);
  // With no dying memcg nothing is pinned: skip the charge reads (one memory.stat per child).
  const subtrees = [...tally.counts.entries()]
    .filter(([path]) => isSubtreeRoot(path))
    .map(([path, n]) => readSubtree(host, h, path, n, dying === 0 ? null : tally.children.get(path) ?? []));
  return {
    version: h.version,
    mountPoint: h.mountPoint,
    kernelTotal: total.total,
    totalSource: total.source,
    totalAt: total.at,
    live,
    dying,
    dyingSource: total.dyingSource,
    vanished: walk.vanished,
    walkSeconds,
    subtrees: withRoot(host, h, nestPins(subtrees), dying === 0 ? null : tally.children.get("") ?? [], total.dying),
    perMemcg: per,
  };
}

/**
 * Counts memcgs per reported subtree (collect/subtrees.ts) and lists the live children of the
 * root and of each subtree root, whose charges readSubtree subtracts. The walk visits siblings
 * one after another, so the string work is done once per parent directory, not once per memcg.
 */
class SubtreeTally {
  readonly counts = new Map<string, number>();
  readonly children = new Map<string, string[]>();
  private parent: WalkEntry | null | undefined = undefined;
  /** The subtree the current parent's children count towards; "" when each is a subtree itself. */
  private sub = "";
  /** Where the current parent's children are listed, when its children are listed at all. */
  private kids: string[] | null = null;

  visit(e: WalkEntry): void {
    if (e.parent !== this.parent) this.enter(e.parent);
    if (e.parent === null) return;
    const sub = this.sub === "" ? e.rel : this.sub;
    this.counts.set(sub, (this.counts.get(sub) ?? 0) + 1);
    this.kids?.push(e.rel);
  }

  private enter(p: WalkEntry | null): void {
    this.parent = p;
    if (p === null) {
      this.kids = null;
      return;
    }
    this.sub = childrenAreSubtreeRoots(p.rel) ? "" : subtreeOf(p.rel);
    if (p.rel !== "" && !isSubtreeRoot(p.rel)) {
      this.kids = null;
      return;
    }
    this.kids = this.children.get(p.rel) ?? [];
    this.children.set(p.rel, this.kids);
  }
}

function readPerMemcg(host: Host, h: CgroupHierarchy, opts: MemcgOptions, entries: WalkEntry[]): PerMemcgFacts {
  const reader = new PerMemcgReader(host, h, opts);
  for (const e of entries) reader.visit(e);
  return reader.finish();
}

function walkOrRetell(host: Host, root: string, visit: (e: WalkEntry) => void, descend?: (e: WalkEntry) => boolean): ReturnType<typeof walkCgroupDirs> {
  try {
    return walkCgroupDirs(root, visit, descend);
  } catch (err) {
    throw host.retell(err);
  }
}

interface Total { total: number; source: string; dying?: number; dyingSource: string; at: { file: string; line: number } | null; live?: number }

function v1Total(host: Host): Total {
  const mem = readMemorySubsys(host);
  return {
    total: mem.numCgroups,
    source: "/proc/cgroups memory num_cgroups",
    dyingSource: "/proc/cgroups num_cgroups minus live directories",
    at: { file: "/proc/cgroups", line: mem.line },
  };
}

/** The kernel counts every live memcg the walk found (v1 num_cgroups, v2 nr_subsys_memory). */
function assertNotBelowLive(after: Total, before: Total, live: number, mountPoint: string): void {
  const kernelLive = (t: Total): number => t.live ?? t.total;
  if (Math.max(kernelLive(before), kernelLive(after)) >= live) return;
  const at = after.at as { file: string; line: number };
  const what = after.live === undefined ? "num_cgroups" : "nr_subsys_memory";
  throw new ParseError(at.file, at.line, `${what} ${kernelLive(after)} is below the ${live} memory cgroups under ${mountPoint}, and the kernel counts every one of them`);
}

function v2Total(host: Host, h: CgroupHierarchy, live: number): Total {
  const file = `${h.mountPoint}/cgroup.stat`;
  const st: CgroupStat = parseCgroupStat(host.readText(file), file);
  if (st.nrSubsysMemory !== undefined && st.nrDyingSubsysMemory !== undefined) {
    return {
      total: st.nrSubsysMemory + st.nrDyingSubsysMemory,
      source: "cgroup.stat nr_subsys_memory + nr_dying_subsys_memory",
      dying: st.nrDyingSubsysMemory,
      dyingSource: "cgroup.stat nr_dying_subsys_memory",
      at: { file, line: 0 },
      live: st.nrSubsysMemory,
    };
  }
  const dying = st.nrDyingDescendants;
  return {
    total: live + dying,
    source: "live memcgs + cgroup.stat nr_dying_descendants (kernel before 6.12)",
    dying,
    dyingSource: "cgroup.stat nr_dying_descendants (all controllers: kernel before 6.12)",
    at: null,
  };
}

/** `kids` null: no memcg is dying anywhere, so none of the subtree's charge is pinned. */
function readSubtree(host: Host, h: CgroupHierarchy, path: string, live: number, kids: string[] | null): SubtreeFacts {
  if (h.version === 1) return { path, live, dying: null, pinnedBytes: kids === null ? 0 : readSubtreeCharges(host, h, path, kids) };
  const file = `${h.mountPoint}/${path}/cgroup.stat`;
  const text = host.readTextIfExists(file);
  if (text === undefined) return { path, live, dying: null, pinnedBytes: null };
  const st = parseCgroupStat(text, file);
  const dying = st.nrDyingSubsysMemory ?? st.nrDyingDescendants;
  // A v2 leaf's file pages are its own processes', not pins: only a subtree with dying memcgs pins.
  return { path, live, dying, pinnedBytes: dying === 0 || kids === null ? 0 : readSubtreeCharges(host, h, path, kids) };
}

/**
 * Each subtree's own figures cover the memcgs directly below it. A top-level kubepods* entry also
 * reports what its QoS children found, so top-level entries add up to the node.
 */
function nestPins(subtrees: SubtreeFacts[]): SubtreeFacts[] {
  const byPath = new Map(subtrees.map((s) => [s.path, { ...s }]));
  for (const s of subtrees) {
    const slash = s.path.indexOf("/");
    const top = slash < 0 ? undefined : byPath.get(s.path.slice(0, slash));
    if (!top) continue;
    top.live += s.live;
    if (top.pinnedBytes !== null) top.pinnedBytes = s.pinnedBytes === null ? null : top.pinnedBytes + s.pinnedBytes;
  }
  return [...byPath.values()];
}

/** The hierarchy root as a subtree too: dying memcgs directly under it pin charges nobody else shows. */
function withRoot(host: Host, h: CgroupHierarchy, subtrees: SubtreeFacts[], topLevel: string[] | null, dying: number | undefined): SubtreeFacts[] {
  if (h.version === 2) {
    // Dying memcgs right below the v2 root are counted, but their pages cannot be told from the
    // root's own processes' (the root has no local/hierarchical split): their pins are unknown.
    const below = subtrees.filter((s) => !s.path.includes("/")).reduce((n, s) => n + (s.dying ?? 0), 0);
    const atRoot = Math.max(0, (dying ?? 0) - below);
    return [{ path: "/", live: 1, dying: atRoot, pinnedBytes: atRoot === 0 ? 0 : null }, ...subtrees];
  }
  const pinned = topLevel === null ? 0 : readSubtreeCharges(host, h, "", topLevel);
  return [{ path: "/", live: 1, dying: null, pinnedBytes: pinned }, ...subtrees];
}
