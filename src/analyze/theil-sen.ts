/**
 * Theil–Sen slope with Sen's confidence interval. Pure; times in any unit (the caller uses seconds).
 * Robust: up to ~29 % of the points can be arbitrary (spikes, a stuck reading) without dragging it.
 */
export interface Point {
  x: number;
  y: number;
}

export interface SenFit {
  slope: number;
  /** Line through the points: y = intercept + slope * x. */
  intercept: number;
  low: number;
  high: number;
  /** Points the fit used (after bucketing). */
  n: number;
  /** The median x: the CI's lines pivot here, so bounds far from the data use this, not the intercept. */
  centreX: number;
  /** 95 % half-width of the line's level: 1.4826 × MAD of the residuals (a robust σ) over √n_eff. */
  levelHalfWidth: number;
  /** Lag-1 autocorrelation of the residuals, the CI widening it caused as a variance ratio. */
  r1: number;
  varianceRatio: number;
}

/**
 * Above this many points the series is bucketed: pairs grow as n². serve fits up to three series
 * every 30 s tick: at 600 points (180,000 pairs each) that was 26 ms of CPU per tick, most of
 * serve's idle CPU; at 240 it is 6 ms (src/bench/serve.ts). A 6 h window of 30 s samples (720)
 * becomes 90 s buckets of 3 samples, each a median a single spike cannot move.
 */
export const MAX_POINTS = 240;
const Z95 = 1.959964;

/** Needs at least 3 points with 2 distinct x; null otherwise. Points must be sorted by x. */
export function theilSen(points: Point[], maxPoints = MAX_POINTS): SenFit | null {
  const p = points.length > maxPoints ? bucket(points, maxPoints) : points;
  const slopes = pairSlopes(p);
  if (p.length < 3 || slopes.length === 0) return null;
  const slope = quantile(slopes, 0.5);
  const intercept = median(p.map((q) => q.y - slope * q.x));
  const residuals = p.map((q) => q.y - intercept - slope * q.x);
  const r1 = lag1(residuals);
  // Yue & Wang (2004): serial correlation inflates Var(S) by (1 + r1) / (1 - r1) for AR(1) noise;
  // without it a level that wanders (pod churn) looks like a trend with a tight interval.
  const varianceRatio = (1 + r1) / (1 - r1);
  const n = p.length;
  const c = Z95 * Math.sqrt(((n * (n - 1) * (2 * n + 5)) / 18) * varianceRatio);
  const m = slopes.length;
  // Sen (1968): the CI is the slopes of rank (N - C)/2 and (N + C)/2 + 1 (1-based).
  const low = rank(slopes, Math.floor((m - c) / 2) - 1);
  const high = rank(slopes, Math.ceil((m + c) / 2));
  const sigma = 1.4826 * median(residuals.map(Math.abs));
  const levelHalfWidth = Z95 * sigma * Math.sqrt(varianceRatio / n);
  const centreX = median(p.map((q) => q.x));
  return { slope, intercept, low, high, n, centreX, levelHalfWidth, r1, varianceRatio };
}

/** Equal-width x buckets, each replaced by its median x and median y (a spike cannot move a median). */
export function bucket(points: Point[], max: number): Point[] {
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  const width = (last.x - first.x) / max || 1;
  const groups = new Map<number, Point[]>();
  for (const q of points) {
    const k = Math.min(max - 1, Math.floor((q.x - first.x) / width));
    const g = groups.get(k);
    if (g) g.push(q);
    else groups.set(k, [q]);
  }
  return [...groups.values()].map((g) => ({ x: median(g.map((q) => q.x)), y: median(g.map((q) => q.y)) }));
}

function pairSlopes(p: Point[]): Float64Array {
  const n = p.length;
  const xs = Float64Array.from(p, (q) => q.x);
  const ys = Float64Array.from(p, (q) => q.y);
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const xi = xs[i] as number;
    const yi = ys[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dx = (xs[j] as number) - xi;
      if (dx !== 0) out[k++] = ((ys[j] as number) - yi) / dx;
    }
  }
  return out.subarray(0, k);
}

function lag1(e: number[]): number {
  const mean = e.reduce((s, v) => s + v, 0) / e.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    const d = (e[i] as number) - mean;
    den += d * d;
    if (i > 0) num += d * ((e[i - 1] as number) - mean);
  }
  // Negative correlation would narrow the CI; we never let a fit claim more certainty than i.i.d.
  return den === 0 ? 0 : Math.min(0.98, Math.max(0, num / den));
}

export function median(v: number[]): number {
  return quantile(Float64Array.from(v), 0.5);
}

/** Median-style quantile (mean of the two middle values at 0.5 for even lengths). Reorders `a`. */
export function quantile(a: Float64Array, q: number): number {
  const pos = q * (a.length - 1);
  const lo = rank(a, Math.floor(pos));
  return pos === Math.floor(pos) ? lo : (lo + rank(a, Math.ceil(pos))) / 2;
}

/** The k-th smallest value (0-based, clamped), by quickselect: O(n) on average. Reorders `a`. */
export function rank(a: Float64Array, k: number): number {
  const kk = Math.max(0, Math.min(a.length - 1, k));
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i++] = a[j] as number;
        a[j--] = t;
      }
    }
    if (kk <= j) hi = j;
    else if (kk >= i) lo = i;
    else break;
  }
  return a[kk] as number;
}
