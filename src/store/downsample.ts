import type { Sample } from "../analyze/sample.js";

/** A stored row: a raw sample (n = 1) or the mean of n of them, with the peaks an alert needs. */
export interface StoredSample extends Sample {
  /** Raw samples this row stands for. */
  n: number;
  /** Highest total and idsUsed among them (equal to total and idsUsed for a raw sample). */
  totalMax: number;
  idsUsedMax: number | null;
}

export interface Tier {
  tier: number;
  /** Bucket width; 0 for raw samples. */
  bucketMs: number;
  /** Rows older than this move to the next tier (or are dropped from the last one). */
  keepMs: number;
}

const MIN = 60_000;
const DAY = 86_400_000;
/**
 * Raw for 2 days: the forecast's 6 h window and yesterday at full resolution. 5-minute means for
 * 30 days: the 7-day alert horizon and a month of dashboard at 8,640 rows. Hourly for 400 days: a
 * year plus a month, across kernel upgrades and reboots, at 9,600 rows. Each width divides the next,
 * so a bucket is never split between two compactions.
 */
export const TIERS: readonly Tier[] = [
  { tier: 0, bucketMs: 0, keepMs: 2 * DAY },
  { tier: 1, bucketMs: 5 * MIN, keepMs: 30 * DAY },
  { tier: 2, bucketMs: 60 * MIN, keepMs: 400 * DAY },
];

export function raw(s: Sample): StoredSample {
  return { ...s, n: 1, totalMax: s.total, idsUsedMax: s.idsUsed };
}

/**
 * Means per bucket and boot (a bucket never mixes two boots, so a reboot stays visible to the
 * forecast), weighted by n. Means are rounded: a count's fraction is noise, and integers store in
 * 1 to 4 bytes where a float takes 8. A nullable field is averaged over the rows that have it.
 */
export function downsample(rows: StoredSample[], bucketMs: number): StoredSample[] {
  const groups = new Map<string, StoredSample[]>();
  for (const r of rows) {
    const key = `${Math.floor(r.t / bucketMs)}/${r.bootId}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map(merge).sort((a, b) => a.t - b.t);
}

function merge(g: StoredSample[]): StoredSample {
  const first = g[0] as StoredSample;
  return {
    t: mean(g, (r) => r.t) as number,
    bootId: first.bootId,
    total: mean(g, (r) => r.total) as number,
    live: mean(g, (r) => r.live),
    dying: mean(g, (r) => r.dying),
    idsUsed: mean(g, (r) => r.idsUsed),
    pinnedBytes: mean(g, (r) => r.pinnedBytes),
    n: g.reduce((s, r) => s + r.n, 0),
    totalMax: Math.max(...g.map((r) => r.totalMax)),
    idsUsedMax: max(g.map((r) => r.idsUsedMax)),
  };
}

function mean(g: StoredSample[], f: (r: StoredSample) => number | null): number | null {
  let sum = 0;
  let w = 0;
  for (const r of g) {
    const v = f(r);
    if (v === null) continue;
    sum += v * r.n;
    w += r.n;
  }
  return w === 0 ? null : Math.round(sum / w);
}

function max(v: (number | null)[]): number | null {
  const present = v.filter((x): x is number => x !== null);
  return present.length === 0 ? null : Math.max(...present);
}
