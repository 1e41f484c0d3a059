import { test } from "node:test";
import assert from "node:assert/strict";
import { downsample, raw, TIERS, type StoredSample } from "./downsample.js";

const MIN = 60_000;
const row = (t: number, total: number, more: Partial<StoredSample> = {}): StoredSample => ({
  ...raw({ t, bootId: "b", total, live: total - 10, dying: 10, idsUsed: total - 10, pinnedBytes: 1000 }),
  ...more,
});

test("5-minute buckets of 30 s samples: weighted means, peaks and counts", () => {
  const rows = Array.from({ length: 20 }, (_, i) => row(i * 30_000, 100 + i));
  const out = downsample(rows, 5 * MIN);
  assert.equal(out.length, 2);
  const [a, b] = out as [StoredSample, StoredSample];
  assert.equal(a.n, 10);
  assert.equal(a.total, Math.round(104.5));
  assert.equal(a.totalMax, 109);
  assert.equal(a.idsUsedMax, 99);
  assert.equal(a.t, 135_000);
  assert.equal(b.total, Math.round(114.5));
  assert.equal(b.t, 300_000 + 135_000);
});

test("merging downsampled rows weights each by the samples it stands for", () => {
  const out = downsample([row(0, 100, { n: 9, totalMax: 150 }), row(60_000, 200, { n: 1 })], 60 * MIN);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.total, 110);
  assert.equal(out[0]?.n, 10);
  assert.equal(out[0]?.totalMax, 200);
});

test("a bucket never mixes two boots, so a reboot survives downsampling", () => {
  const rows = [row(0, 5000), row(30_000, 5000), row(60_000, 100, { bootId: "c" }), row(90_000, 100, { bootId: "c" })];
  const out = downsample(rows, 5 * MIN);
  assert.deepEqual(
    out.map((r) => [r.bootId, r.total]),
    [
      ["b", 5000],
      ["c", 100],
    ],
  );
});

test("nullable figures are averaged over the samples that have them, null when none do", () => {
  const cheap = (t: number, total: number) =>
    row(t, total, { live: null, dying: null, idsUsed: null, idsUsedMax: null, pinnedBytes: null });
  const out = downsample([cheap(0, 10), row(30_000, 20), cheap(60_000, 30)], 5 * MIN);
  assert.equal(out[0]?.live, 10);
  assert.equal(out[0]?.idsUsedMax, 10);
  const none = downsample([cheap(0, 10), cheap(30_000, 20)], 5 * MIN);
  assert.equal(none[0]?.live, null);
  assert.equal(none[0]?.idsUsedMax, null);
});

test("tier widths divide each other and retention grows tier by tier", () => {
  for (let i = 1; i < TIERS.length; i++) {
    const [a, b] = [TIERS[i - 1], TIERS[i]] as const;
    assert.ok(a && b && b.keepMs > a.keepMs);
    if (a.bucketMs > 0) assert.equal(b.bucketMs % a.bucketMs, 0);
  }
});
