import type { Host } from "../host/host.js";
import { readKernelTotal, type KernelTotal } from "./kernel-total.js";
import { ParseError } from "../host/errors.js";
import type { CgroupHierarchy } from "./mounts.js";
import { walkCgroupDirs, type WalkEntry } from "../host/walk.js";
import { childrenAreSubtreeRoots, subtreeOf } from "./subtrees.js";
import { findPins, type Pin, type PinScan } from "./pins.js";
import { subtreeFacts, type SubtreeFacts } from "./subtree-facts.js";
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
  /** What dying memcgs pin, per nearest live ancestor, at every depth (none read when nothing is dying). */
  pins: Pin[];
  /** Live memcgs whose dying children's pins cannot be told from their own pages (v2 leaves with processes). */
  pinsUnknown: string[];
  /** memory.stat / cgroup.stat files the pin descent read. */
  pinReads: number;
  pinSeconds: number;
  /** Per-memcg files (empty cgroups, kmem), when they were read. */
  perMemcg: PerMemcgFacts | null;
}

export type { SubtreeFacts } from "./subtree-facts.js";

export interface MemcgOptions {
  /**
   * Read per-memcg files: empty cgroups (cgroup.procs / cgroup.events) and kmem, but only when the
   * hierarchy has at most `upTo` memcgs (Infinity: always; 0: never), since each costs three
   * system calls per memcg.
   */
  perMemcg: { empty: boolean; kmem: boolean; upTo: number };
  now: number;
  emptyMinAgeMs: number;
  /** Swap is on: v2 reads memory.swap.current where it looks for pins (v1's memory.stat has swap). */
  swap?: boolean;
}

/** Counts the memory controller's cgroups on a v1 or v2 hierarchy. */
export function collectMemcg(host: Host, h: CgroupHierarchy, opts: MemcgOptions): MemcgFacts {
  const started = process.hrtime.bigint();
  const tally = new SubtreeTally();
  const wanted = opts.perMemcg.empty || opts.perMemcg.kmem ? opts.perMemcg.upTo : 0;
  let kept: WalkEntry[] | null = wanted > 0 ? [] : null;
  let root: WalkEntry | undefined;
  const visit = (e: WalkEntry): void => {
    if (e.parent === null) root = e;
    tally.visit(e);
    if (kept !== null) kept = kept.length < wanted ? (kept.push(e), kept) : null;
  };
  // On v2 a child is a memcg only where its parent enabled memory in cgroup.subtree_control.
  const descend =
    h.version === 1
      ? undefined
      : (e: WalkEntry): boolean => {
          const ctl = host.readTextIfExists(`${h.mountPoint}/${e.rel}/cgroup.subtree_control`) ?? "";
          return ctl.split(/\s+/).includes("memory");
        };
  // The kernel's count is read on both sides of the walk: a memcg made or freed meanwhile moves one
  // read but not the other, so only a count below the walk's on both sides is impossible.
  const readTotal = (live: number): KernelTotal => readKernelTotal(host, h, live);
  const before = readTotal(0);
  const walk = walkOrRetell(host, host.path(h.mountPoint), visit, descend);
  const walkSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const per = kept === null ? null : readPerMemcg(host, h, opts, kept);
  const live = walk.dirs;
  const total = readTotal(live);
  if (total.at !== null) assertNotBelowLive(total, before, live, h.mountPoint);
  const dying = total.dying ?? Math.max(0, total.total - live);
  // With no dying memcg nothing is pinned: no charge is read at all.
  const pinStart = process.hrtime.bigint();
  const pins: PinScan =
    dying === 0 || root === undefined
      ? { pins: [], unknown: [], reads: 0 }
      : findPins(host, h, root, opts.swap ?? false);
  const pinSeconds = Number(process.hrtime.bigint() - pinStart) / 1e9;
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
    subtrees: subtreeFacts(host, h, tally.counts, pins, total.dying),
    pins: pins.pins,
    pinsUnknown: pins.unknown,
    pinReads: pins.reads,
    pinSeconds,
    perMemcg: per,
  };
}

/**
 * Counts memcgs per reported subtree (collect/subtrees.ts). The walk visits siblings one after
 * another, so the string work is done once per parent directory, not once per memcg.
 */
class SubtreeTally {
  readonly counts = new Map<string, number>();
  private parent: WalkEntry | null | undefined = undefined;
  /** The subtree the current parent's children count towards; "" when each is a subtree itself. */
  private sub = "";

  visit(e: WalkEntry): void {
    if (e.parent !== this.parent) {
      this.parent = e.parent;
      if (e.parent !== null) this.sub = childrenAreSubtreeRoots(e.parent.rel) ? "" : subtreeOf(e.parent.rel);
    }
    if (e.parent === null) return;
    const sub = this.sub === "" ? e.rel : this.sub;
    this.counts.set(sub, (this.counts.get(sub) ?? 0) + 1);
  }
}

function readPerMemcg(host: Host, h: CgroupHierarchy, opts: MemcgOptions, entries: WalkEntry[]): PerMemcgFacts {
  const reader = new PerMemcgReader(host, h, opts);
  for (const e of entries) reader.visit(e);
  return reader.finish();
}

function walkOrRetell(
  host: Host,
  root: string,
  visit: (e: WalkEntry) => void,
  descend?: (e: WalkEntry) => boolean,
): ReturnType<typeof walkCgroupDirs> {
  try {
    return walkCgroupDirs(root, visit, descend);
  } catch (err) {
    throw host.retell(err);
  }
}

/** The kernel counts every live memcg the walk found (v1 num_cgroups, v2 nr_subsys_memory). */
function assertNotBelowLive(after: KernelTotal, before: KernelTotal, live: number, mountPoint: string): void {
  const kernelLive = (t: KernelTotal): number => t.live ?? t.total;
  if (Math.max(kernelLive(before), kernelLive(after)) >= live) return;
  const at = after.at as { file: string; line: number };
  const what = after.live === undefined ? "num_cgroups" : "nr_subsys_memory";
  throw new ParseError(
    at.file,
    at.line,
    `${what} ${kernelLive(after)} is below the ${live} memory cgroups under ${mountPoint}, and the kernel counts every one of them`,
  );
}
