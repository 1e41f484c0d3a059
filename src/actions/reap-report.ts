import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import type { ReapTarget } from "./reap-targets.js";
import type { StepResult } from "./reap-apply.js";
import type { PressureNow } from "./reap-guards.js";

export interface ParentResult {
  rel: string;
  path: string;
  before: ReapTarget;
  /** Read right after the writes, before live workloads re-read what they lost. */
  afterWrites: ReapTarget | null;
  /** Read once freeing settled (the refaults by then). */
  after: ReapTarget | null;
  /** Bytes asked of the kernel, over all steps. */
  asked: number;
  steps: StepResult[];
  note: string;
}

export interface Unreclaimable {
  path: string;
  bytes: number | null;
  reason: string;
}

export type Verdict = "acted" | "on-target" | "vetoed" | "nothing-to-do" | "dry-run";

/** One pass, as `cgleak reap --json` prints it, the metrics count it and the store keeps it. */
export interface PassReport {
  at: string;
  method: string;
  dryRun: boolean;
  verdict: Verdict;
  reason: string;
  pressure: PressureNow;
  seconds: number;
  /** Of it, the kernel writes themselves (sync, the limit steps and restores, the reclaim writes). */
  writeSeconds: number;
  dyingBefore: number;
  dyingAfter: number;
  dyingFreed: number;
  pinnedBefore: number;
  pinnedAfter: number;
  pinnedFreed: number;
  /**
   * Page cache of live cgroups the pass evicted: below the parents it touched (the larger of the
   * drop right after the writes and the refaults since, in pages), or node-wide for drop_caches.
   */
  liveCacheEvicted: number;
  /**
   * Refaults of those live cgroups from the start of the pass until freeing settled. Reclaim leaves
   * shadow entries that make a re-read count as a refault; drop_caches does not (it invalidates
   * the pages outright), so after drop_caches re-reads show in no refault counter (docs/reap.md).
   */
  refaults: number;
  /** The figure of merit: dying memcgs freed per GiB of live cache evicted (null: none evicted). */
  dyingFreedPerGiBEvicted: number | null;
  pinnedFreedPerGiBEvicted: number | null;
  parents: Array<{
    path: string;
    pinnedBefore: number;
    pinnedAfter: number | null;
    shmem: number;
    liveCacheBefore: number;
    liveCacheAfter: number | null;
    refaults: number | null;
    asked: number;
    steps: number;
    note: string;
  }>;
  unreclaimable: Unreclaimable[];
  note: string;
}

export interface PassParts {
  method: string;
  dryRun: boolean;
  verdict: Verdict;
  reason: string;
  pressure: PressureNow;
  dyingBefore: number;
  targets: ReapTarget[];
  unreclaimable: Unreclaimable[];
  t0: number;
  parents?: ParentResult[];
  dyingAfter?: number;
  cachedBefore?: number | null;
  cachedAfter?: number | null;
  syncMs?: number;
  note?: string;
}

const GiB = 1024 ** 3;

export function summarize(c: { host: Host; h: CgroupHierarchy }, p: PassParts): PassReport {
  const parents = p.parents ?? [];
  const acted = p.verdict === "acted";
  const pinnedBefore = p.targets.reduce((a, t) => a + t.pinnedBytes, 0);
  const pinnedFreed = acted
    ? parents.reduce((a, r) => a + Math.max(0, r.before.pinnedBytes - (r.after?.pinnedBytes ?? 0)), 0)
    : 0;
  const dyingAfter = p.dyingAfter ?? p.dyingBefore;
  const dyingFreed = Math.max(0, p.dyingBefore - dyingAfter);
  const evicted = acted ? evictedBytes(p, parents, pinnedFreed) : 0;
  const refaults = parents.reduce(
    (a, r) => a + (r.after === null ? 0 : Math.max(0, r.after.liveRefaults - r.before.liveRefaults)),
    0,
  );
  return {
    at: new Date(p.t0).toISOString(),
    method: p.method,
    dryRun: p.dryRun,
    verdict: p.verdict,
    reason: p.reason,
    pressure: p.pressure,
    seconds: (Date.now() - p.t0) / 1000,
    writeSeconds: ((p.syncMs ?? 0) + parents.reduce((a, r) => a + r.steps.reduce((b, s) => b + s.ms, 0), 0)) / 1000,
    dyingBefore: p.dyingBefore,
    dyingAfter,
    dyingFreed,
    pinnedBefore,
    pinnedAfter: pinnedBefore - pinnedFreed,
    pinnedFreed,
    liveCacheEvicted: evicted,
    refaults,
    dyingFreedPerGiBEvicted: perGiB(dyingFreed, evicted),
    pinnedFreedPerGiBEvicted: perGiB(pinnedFreed, evicted),
    parents: parents.map((r) => ({
      path: r.path,
      pinnedBefore: r.before.pinnedBytes,
      pinnedAfter: r.after?.pinnedBytes ?? null,
      shmem: r.before.shmemBytes,
      liveCacheBefore: r.before.liveCacheBytes,
      liveCacheAfter: r.afterWrites?.liveCacheBytes ?? null,
      refaults: r.after === null ? null : Math.max(0, r.after.liveRefaults - r.before.liveRefaults),
      asked: r.asked,
      steps: r.steps.length,
      note: r.note,
    })),
    unreclaimable: p.unreclaimable,
    note: p.note ?? "",
  };
}

/** drop_caches evicts node-wide: the drop of Cached that was not the dying memcgs' own pins. */
function evictedBytes(p: PassParts, parents: ParentResult[], pinnedFreed: number): number {
  if (p.method === "drop-caches") {
    if (p.cachedBefore == null || p.cachedAfter == null) return 0;
    return Math.max(0, p.cachedBefore - p.cachedAfter - pinnedFreed);
  }
  // A hot working set is re-read within moments, so the drop seen right after the writes can miss
  // it; each refault is a page that was evicted and read back (4 KiB pages): the larger one counts.
  return parents.reduce((a, r) => {
    const atOnce = Math.max(0, r.before.liveCacheBytes - (r.afterWrites?.liveCacheBytes ?? r.before.liveCacheBytes));
    const refaulted = r.after === null ? 0 : Math.max(0, r.after.liveRefaults - r.before.liveRefaults) * 4096;
    return a + Math.max(atOnce, refaulted);
  }, 0);
}

function perGiB(n: number, evicted: number): number | null {
  return evicted <= 0 ? null : n / (evicted / GiB);
}

/** /proc/meminfo Cached, in bytes; null where unreadable. */
export function nodeCachedBytes(host: Host): number | null {
  const text = host.readTextIfExists("/proc/meminfo");
  if (text === undefined) return null;
  const m = /^Cached:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}
