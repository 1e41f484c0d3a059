import type { Registry } from "prom-client";
import type { Reaper, ReaperTotals } from "../actions/reap-loop.js";
import type { ReapPolicy } from "../actions/reap-policy.js";
import type { PassReport } from "../actions/reap-report.js";
import { readReapStatus } from "../actions/reap-status.js";
import type { ReaperView } from "../kube/condition.js";
import { registerReapMetrics } from "../sinks/reap-metrics.js";

/** What /api/reap, the page and the node condition read of the reaper, wherever it runs. */
export interface ReapSource {
  doc(): unknown;
  view(): ReaperView | null;
}

const GiB = 1024 ** 3;
const perGiB = (n: number, evicted: number): number | null => (evicted > 0 ? n / (evicted / GiB) : null);

/** The fields of a pass /api/reap shows, in this order (the report has more: paths, per-memcg detail). */
const PASS_FIELDS = [
  "at",
  "verdict",
  "reason",
  "method",
  "dryRun",
  "dyingBefore",
  "dyingAfter",
  "dyingFreed",
  "pinnedFreed",
  "liveCacheEvicted",
  "refaults",
  "dyingFreedPerGiBEvicted",
  "seconds",
] as const satisfies ReadonlyArray<keyof PassReport>;

function pass(r: PassReport | null): unknown {
  return r === null ? null : Object.fromEntries(PASS_FIELDS.map((k) => [k, r[k]]));
}

/** The `cgleak.reap/v1` document: totals since the reaper started, its last passes, the pins it cannot free. */
export function reapDoc(
  source: string | null,
  t: ReaperTotals | null,
  policy: ReapPolicy | null,
  extra: { updated?: string | null; note?: string | null; dryRun?: boolean } = {},
): unknown {
  return {
    schema: "cgleak.reap/v1",
    enabled: source !== null,
    source,
    updated: extra.updated ?? null,
    note: extra.note ?? null,
    dryRun: extra.dryRun ?? false,
    policy,
    totals:
      t === null
        ? null
        : {
            passes: t.passes,
            dyingFreed: t.dyingFreed,
            pinnedFreed: t.pinnedFreed,
            liveCacheEvicted: t.liveCacheEvicted,
            refaults: t.refaults,
            dyingFreedPerGiBEvicted: perGiB(t.dyingFreed, t.liveCacheEvicted),
            pinnedFreedPerGiBEvicted: perGiB(t.pinnedFreed, t.liveCacheEvicted),
            intervalSeconds: t.intervalMs / 1000,
          },
    lastPass: pass(t?.last ?? null),
    lastActed: pass(t?.lastActed ?? null),
    unreclaimable: t?.last?.unreclaimable ?? [],
  };
}

const viewOf = (t: ReaperTotals): ReaperView => ({ dyingFreed: t.dyingFreed, lastActedAt: t.lastActed?.at ?? null });

export const NO_REAPER: ReapSource = { doc: () => reapDoc(null, null, null), view: () => null };

/** `serve --reap`: the reaper runs in this process. */
export function inProcess(reaper: Reaper, policy: ReapPolicy): ReapSource {
  return {
    doc: () => reapDoc("serve --reap", reaper.totals, policy, { updated: reaper.totals.last?.at ?? null }),
    view: () => viewOf(reaper.totals),
  };
}

/**
 * `serve --reap-status FILE`: the reaper runs in another process (the root writer container); this
 * one reads what it wrote, re-read at most once a second, and serves its totals as metrics too.
 */
export function fromStatusFile(file: string, registry: Registry, log: (line: string) => void): ReapSource {
  let readAt = 0;
  let last: ReturnType<typeof readReapStatus> = null;
  let logged: string | null = null;
  const read = (): ReturnType<typeof readReapStatus> => {
    if (Date.now() - readAt < 1000) return last;
    readAt = Date.now();
    last = readReapStatus(file);
    const problem = typeof last === "string" ? last : null;
    if (problem !== logged && problem !== null) log(`reap status: ${problem}`);
    logged = problem;
    return last;
  };
  const totals = (): ReaperTotals | null => {
    const s = read();
    return s !== null && typeof s === "object" ? s.totals : null;
  };
  registerReapMetrics(registry, () => totals() ?? EMPTY_TOTALS);
  return {
    doc: () => {
      const s = read();
      const source = `status file ${file}`;
      if (s === null) return reapDoc(source, null, null, { note: `the reaper has written no status yet (${file})` });
      if (typeof s === "string") return reapDoc(source, null, null, { note: s });
      return reapDoc(source, s.totals, s.policy, { updated: s.writtenAt, dryRun: s.dryRun });
    },
    view: () => {
      const t = totals();
      return t === null ? null : viewOf(t);
    },
  };
}

const EMPTY_TOTALS: ReaperTotals = {
  passes: { acted: 0, "on-target": 0, vetoed: 0, "nothing-to-do": 0, "dry-run": 0 },
  dyingFreed: 0,
  pinnedFreed: 0,
  liveCacheEvicted: 0,
  refaults: 0,
  intervalMs: 0,
  last: null,
  lastActed: null,
};

/** The daemon's one call: the in-process reaper, else the writer's status file, else none. */
export function reapSource(
  reaper: Reaper | null,
  policy: ReapPolicy | null,
  statusFile: string | null,
  registry: Registry,
  log: (line: string) => void,
): ReapSource {
  if (reaper !== null && policy !== null) return inProcess(reaper, policy);
  return statusFile ? fromStatusFile(statusFile, registry, log) : NO_REAPER;
}
