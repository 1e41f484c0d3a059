import type { Sample } from "./sample.js";
import { theilSen, type SenFit } from "./theil-sen.js";
import { MEMCG_COSTS } from "../knowledge/costs.js";
import { formatBytes, formatCount, formatDays, formatPerDay } from "./format.js";

export interface Forecast {
  /** The ID-consuming series rises significantly: the lower bound of the slope's 95 % CI > 0 and the rise over the window ≥ MIN_RISE. */
  leaking: boolean;
  /** Per second, of idsUsed (or of total when dying memcgs hold IDs, so every cheap sample counts). */
  ratePerSecond: number | null;
  rateLow: number | null;
  rateHigh: number | null;
  secondsToCap: number | null;
  /** Reached at rateHigh: the earliest plausible time. */
  secondsToCapLow: number | null;
  secondsToCapHigh: number | null;
  capAt: string | null;
  /** Dying memcgs when they do not (or may not) hold IDs; null when they do (they are in the main series then). */
  dying: { ratePerSecond: number | null; bytesPerDay: number | null } | null;
  /** The window asked for, and the samples really in it (firstSample/lastSample null when none). */
  window: {
    from: string;
    to: string;
    samples: number;
    firstSample: string | null;
    lastSample: string | null;
    resetAt: string | null;
  };
  basis: string;
}

export interface ForecastOptions {
  nowMs: number;
  windowMs?: number;
  cap: number;
  dyingHoldIds: boolean | "unknown";
}

export const DEFAULT_WINDOW_MS = 6 * 3_600_000;
/** Fewer points or a shorter span than this since the last reset gives no rate at all. */
export const MIN_POINTS = 8;
export const MIN_SPAN_MS = 15 * 60_000;
/** A significant slope must also add this many memcgs over the span: below it, nobody needs paging. */
export const MIN_RISE = 10;

interface Series {
  name: string;
  points: { t: number; y: number; bootId: string }[];
}

export function forecast(samples: Sample[], opts: ForecastOptions): Forecast {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const from = opts.nowMs - windowMs;
  const inWindow = samples.filter((s) => s.t >= from && s.t <= opts.nowMs).sort((a, b) => a.t - b.t);
  const main = mainSeries(inWindow, opts.dyingHoldIds);
  const reset = lastReset(main.points);
  const fit = fitSince(main, reset);
  const rate = fit && fit.slope;
  const span = fit ? spanSeconds(main, reset) : 0;
  const leaking = fit !== null && fit.low > 0 && fit.slope * span >= MIN_RISE;
  // A bound is the line through the data's centre at the level's bound, with the rate's bound:
  // the earliest time has the fast rate from the high level.
  const toCap = (r: number, dLevel = 0): number => {
    if (!fit) return 0;
    const nowS = opts.nowMs / 1000;
    const at = fit.intercept + fit.slope * fit.centreX + dLevel + r * (nowS - fit.centreX);
    return Math.max(0, (opts.cap - at) / r);
  };
  const secondsToCap = leaking && rate ? toCap(rate) : null;
  const result: Forecast = {
    leaking,
    ratePerSecond: rate,
    rateLow: fit && fit.low,
    rateHigh: fit && fit.high,
    secondsToCap,
    secondsToCapLow: leaking && fit ? toCap(fit.high, fit.levelHalfWidth) : null,
    secondsToCapHigh: leaking && fit ? toCap(fit.low, -fit.levelHalfWidth) : null,
    capAt: secondsToCap === null ? null : new Date(opts.nowMs + secondsToCap * 1000).toISOString(),
    dying: opts.dyingHoldIds === true ? null : dyingCost(inWindow),
    window: {
      from: new Date(from).toISOString(),
      to: new Date(opts.nowMs).toISOString(),
      samples: inWindow.length,
      firstSample: inWindow[0] ? iso(inWindow[0].t) : null,
      lastSample: inWindow.at(-1) ? iso((inWindow.at(-1) as Sample).t) : null,
      resetAt: reset ? iso(reset.t) : null,
    },
    basis: "",
  };
  result.basis = basis(main, fit, result, opts.cap);
  return result;
}

/** IDs are consumed by live memcgs, plus dying ones where they keep theirs (then total is that sum, in every cheap sample). */
function mainSeries(s: Sample[], holds: boolean | "unknown"): Series {
  if (holds !== false)
    return {
      name: "memcgs holding IDs (live + dying)",
      points: s.map((x) => ({ t: x.t, y: x.total, bootId: x.bootId })),
    };
  return { name: "IDs in use", points: pick(s, (x) => x.idsUsed) };
}

function pick(s: Sample[], f: (x: Sample) => number | null): Series["points"] {
  const out: Series["points"] = [];
  for (const x of s) {
    const y = f(x);
    if (y !== null) out.push({ t: x.t, y, bootId: x.bootId });
  }
  return out;
}

function fitSince(s: Series, reset: Reset | null): SenFit | null {
  const pts = s.points.slice(reset ? reset.index : 0);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last || pts.length < MIN_POINTS || last.t - first.t < MIN_SPAN_MS) return null;
  return theilSen(pts.map((p) => ({ x: p.t / 1000, y: p.y })));
}

function spanSeconds(s: Series, reset: Reset | null): number {
  const first = s.points[reset ? reset.index : 0];
  const last = s.points[s.points.length - 1];
  return first && last ? (last.t - first.t) / 1000 : 0;
}

/** Dying memcgs' growth and its memory: 20 KB of kernel memory each plus the slope of the cache they pin. */
function dyingCost(s: Sample[]): Forecast["dying"] {
  // Without walks, total = live + dying and live is churn around a level: total's trend is dying's.
  const walked = pick(s, (x) => x.dying);
  const series = walked.length >= MIN_POINTS ? walked : pick(s, (x) => x.total);
  const d = fitSince({ name: "dying", points: series }, lastReset(series));
  if (!d) return { ratePerSecond: null, bytesPerDay: null };
  const pinned = pick(s, (x) => x.pinnedBytes);
  const p = fitSince({ name: "pinned", points: pinned }, lastReset(pinned));
  const perDay = d.slope * 86_400 * MEMCG_COSTS.dyingKernelBytes + (p ? p.slope * 86_400 : 0);
  return { ratePerSecond: d.slope, bytesPerDay: perDay };
}

type Points = Series["points"];
interface Reset {
  index: number;
  t: number;
  why: "reboot" | "release";
}

/** Points compared on each side of a candidate release: a median of 5 ignores up to 2 spikes. */
const SIDE = 5;
/** A release drops the level by at least 20 % and 50 memcgs, or by 1,000 (more than a node's pods can churn at once). */
const RELEASE_SHARE = 0.2;
const RELEASE_MIN = 50;
const RELEASE_ANY = 1000;

/** The last reboot (bootId change) or release (a lasting drop of the level) among the points. */
export function lastReset(p: Points): Reset | null {
  let best: Reset | null = null;
  for (let i = 1; i < p.length; i++) {
    if ((p[i] as Points[0]).bootId !== (p[i - 1] as Points[0]).bootId)
      best = { index: i, t: (p[i] as Points[0]).t, why: "reboot" };
  }
  const r = lastRelease(p);
  return r && (!best || r.index > best.index) ? r : best;
}

function lastRelease(p: Points): Reset | null {
  // Every index whose neighbourhood shows a level drop; a step is flagged a few points either side of
  // itself, so each run of flags is one release, placed at its largest single-step drop.
  let found: Reset | null = null;
  let runBest = -1;
  for (let i = 1; i < p.length; i++) {
    if (!dropsAt(p, i)) {
      runBest = -1;
      continue;
    }
    const step = (k: number): number => (p[k - 1] as Points[0]).y - (p[k] as Points[0]).y;
    if (runBest < 0 || step(i) > step(runBest)) runBest = i;
    found = { index: runBest, t: (p[runBest] as Points[0]).t, why: "release" };
  }
  return found;
}

function dropsAt(p: Points, i: number): boolean {
  const end = Math.min(p.length, i + SIDE);
  if (end - i < 3) return false;
  const a = medianOfRange(p, Math.max(0, i - SIDE), i);
  const d = a - medianOfRange(p, i, end);
  return d >= RELEASE_ANY || (d >= RELEASE_MIN && d >= RELEASE_SHARE * a);
}

/** One scratch buffer: dropsAt runs at every point of every series each tick, and slices made it mostly garbage. */
const scratch = new Float64Array(SIDE);

/** The median of p[from..to).y, at most SIDE points, by insertion sort into the scratch buffer. */
function medianOfRange(p: Points, from: number, to: number): number {
  const n = to - from;
  for (let k = 0; k < n; k++) {
    const y = (p[from + k] as Points[0]).y;
    let j = k;
    for (; j > 0 && (scratch[j - 1] as number) > y; j--) scratch[j] = scratch[j - 1] as number;
    scratch[j] = y;
  }
  const m = n >> 1;
  return n % 2 ? (scratch[m] as number) : ((scratch[m - 1] as number) + (scratch[m] as number)) / 2;
}

function basis(s: Series, fit: SenFit | null, f: Forecast, cap: number): string {
  const since = f.window.resetAt ? ` since the ${lastReset(s.points)?.why} at ${f.window.resetAt}` : "";
  const dying =
    f.dying?.ratePerSecond != null
      ? `; dying memcgs (no ID held) ${formatPerDay(f.dying.ratePerSecond)}/day, ${formatBytes(Math.max(0, f.dying.bytesPerDay ?? 0))}/day of memory`
      : "";
  if (!fit)
    return `Too few samples of ${s.name}${since} for a rate (need ${MIN_POINTS} over ${MIN_SPAN_MS / 60_000} min, have ${s.points.length} in the window)${dying}.`;
  const rate = `${formatPerDay(fit.slope)}/day (95 % CI ${formatPerDay(fit.low)} to ${formatPerDay(fit.high)})`;
  if (!f.leaking) return `${cap0(s.name)} show no significant rise${since}: ${rate} over ${fit.n} points${dying}.`;
  return `${cap0(s.name)} rise ${rate}${since}: the cap of ${formatCount(cap)} in ${formatDays(f.secondsToCap)} days (${formatDays(f.secondsToCapLow)} to ${formatDays(f.secondsToCapHigh)})${dying}.`;
}

function cap0(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
