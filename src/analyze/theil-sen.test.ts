import { test } from "node:test";
import assert from "node:assert/strict";
import { theilSen, bucket, rank, quantile, type Point } from "./theil-sen.js";

/** Deterministic noise so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function line(n: number, slope: number, noise: (i: number) => number): Point[] {
  return Array.from({ length: n }, (_, i) => ({ x: i * 30, y: 1000 + slope * i * 30 + noise(i) }));
}

test("an exact line gives its slope and intercept, with a zero-width interval", () => {
  const f = theilSen(line(50, 0.25, () => 0));
  assert.ok(f);
  assert.ok(Math.abs(f.slope - 0.25) < 1e-12);
  assert.ok(Math.abs(f.intercept - 1000) < 1e-9);
  assert.ok(Math.abs(f.low - 0.25) < 1e-12 && Math.abs(f.high - 0.25) < 1e-12);
});

test("the interval contains the true slope under noise and narrows with more points", () => {
  const r = rng(7);
  const small = theilSen(line(40, 0.05, () => 20 * gauss(r)));
  const large = theilSen(line(400, 0.05, () => 20 * gauss(r)));
  assert.ok(small && large);
  assert.ok(small.low < 0.05 && small.high > 0.05, JSON.stringify(small));
  assert.ok(large.low < 0.05 && large.high > 0.05, JSON.stringify(large));
  assert.ok(large.high - large.low < small.high - small.low);
});

test("a third of the points as huge spikes do not drag the slope", () => {
  const f = theilSen(line(300, 0.1, (i) => (i % 3 === 0 ? 50_000 : 0)));
  assert.ok(f);
  assert.ok(Math.abs(f.slope - 0.1) / 0.1 < 0.1, `slope ${f.slope}`);
});

test("a wandering level (AR(1) noise) widens the interval through the residual autocorrelation", () => {
  const r = rng(11);
  let e = 0;
  const f = theilSen(line(500, 0, () => (e = 0.97 * e + 10 * gauss(r))));
  assert.ok(f);
  assert.ok(f.r1 > 0.8, `r1 ${f.r1}`);
  assert.ok(f.low <= 0 && f.high >= 0, JSON.stringify(f));
});

test("fewer than 3 points or no distinct x gives no fit", () => {
  assert.equal(
    theilSen([
      { x: 0, y: 1 },
      { x: 1, y: 2 },
    ]),
    null,
  );
  assert.equal(
    theilSen([
      { x: 5, y: 1 },
      { x: 5, y: 2 },
      { x: 5, y: 3 },
    ]),
    null,
  );
});

test("bucketing keeps the slope of a large series and the point count bounded", () => {
  const r = rng(3);
  const pts = line(20_000, 0.02, () => 5 * gauss(r));
  const b = bucket(pts, 1000);
  assert.ok(b.length <= 1000 && b.length > 900, `buckets ${b.length}`);
  const f = theilSen(pts);
  assert.ok(f && f.n <= 600);
  assert.ok(Math.abs(f.slope - 0.02) / 0.02 < 0.05, `slope ${f.slope}`);
});

test("rank and quantile agree with a full sort", () => {
  const r = rng(5);
  for (const n of [1, 2, 3, 10, 101, 1000]) {
    const v = Array.from({ length: n }, () => Math.floor(r() * 50));
    const sorted = [...v].sort((a, b) => a - b);
    for (const k of [0, n >> 1, n - 1]) assert.equal(rank(Float64Array.from(v), k), sorted[k]);
    const mid = n % 2 ? sorted[n >> 1] : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
    assert.equal(quantile(Float64Array.from(v), 0.5), mid);
  }
});
