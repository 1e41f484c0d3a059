import { test } from "node:test";
import assert from "node:assert/strict";
import { forecast, lastReset, DEFAULT_WINDOW_MS, MIN_RISE } from "./forecast.js";
import type { Sample } from "./sample.js";
import { rng, gauss } from "./theil-sen.test.js";
import { MEMCG_COSTS } from "../knowledge/costs.js";

const NOW = Date.UTC(2025, 0, 10, 12);
const STEP = 30_000;
const CAP = 65535;

/** A 6 h window of 30 s samples whose idsUsed (and total) follow `y(seconds since the start)`. */
function series(
  y: (s: number, i: number) => number,
  opts: { n?: number; boot?: (i: number) => string; walk?: boolean } = {},
): Sample[] {
  const n = opts.n ?? DEFAULT_WINDOW_MS / STEP;
  return Array.from({ length: n }, (_, i) => {
    const t = NOW - (n - 1 - i) * STEP;
    const v = Math.round(y((i * STEP) / 1000, i));
    const walk = opts.walk ?? true;
    return {
      t,
      bootId: opts.boot?.(i) ?? "b1",
      total: v,
      live: walk ? v : null,
      dying: walk ? 0 : null,
      idsUsed: walk ? v : null,
      pinnedBytes: walk ? 0 : null,
    };
  });
}

const run = (s: Sample[], holds: boolean | "unknown" = false) =>
  forecast(s, { nowMs: NOW, cap: CAP, dyingHoldIds: holds });
const within = (got: number | null, want: number, share = 0.1) =>
  got !== null && Math.abs(got - want) <= share * Math.abs(want);

test("a noisy steady leak: rate within 10 %, time to cap bounded around the truth", () => {
  const r = rng(1);
  const f = run(series((s) => 20_000 + 0.5 * s + 15 * gauss(r)));
  assert.ok(f.leaking, f.basis);
  assert.ok(within(f.ratePerSecond, 0.5), `rate ${f.ratePerSecond}`);
  const truth = (CAP - (20_000 + 0.5 * ((DEFAULT_WINDOW_MS - STEP) / 1000))) / 0.5;
  assert.ok(within(f.secondsToCap, truth), `${f.secondsToCap} vs ${truth}`);
  assert.ok((f.secondsToCapLow as number) <= truth && truth <= (f.secondsToCapHigh as number), JSON.stringify(f));
  assert.ok(
    (f.rateLow as number) <= 0.5 && 0.5 <= (f.rateHigh as number),
    "integer counts make many pair slopes exactly 0.5",
  );
  assert.equal(f.capAt, new Date(NOW + (f.secondsToCap as number) * 1000).toISOString());
  assert.equal(f.window.samples, 720);
  assert.match(f.basis, /rise .*cap of 65,535 in \d+\.\d days/);
});

test("slow leaks of several known slopes are each estimated within 10 %", () => {
  const r = rng(2);
  for (const slope of [0.005, 0.02, 0.1, 2]) {
    const f = run(series((s) => 3000 + slope * s + 2 * gauss(r)));
    assert.ok(within(f.ratePerSecond, slope), `slope ${slope}: ${f.ratePerSecond}`);
    assert.ok(f.leaking, `slope ${slope}: ${f.basis}`);
  }
});

test("spikes (5 % of samples at +20,000 or 0) do not move the rate", () => {
  const f = run(series((s, i) => (i % 20 === 7 ? 40_000 : i % 20 === 13 ? 0 : 10_000 + 0.2 * s)));
  assert.ok(within(f.ratePerSecond, 0.2), `rate ${f.ratePerSecond}`);
  assert.equal(f.window.resetAt, null, "a one-sample dip is not a release");
});

test("a reboot resets the rate: only the samples after the new boot ID count", () => {
  const f = run(
    series((s, i) => (i < 400 ? 30_000 + 1 * s : 200 + 0.1 * (s - 400 * 30)), {
      boot: (i) => (i < 400 ? "old" : "new"),
    }),
  );
  assert.equal(f.window.resetAt, new Date(NOW - (720 - 1 - 400) * STEP).toISOString());
  assert.ok(within(f.ratePerSecond, 0.1), `rate ${f.ratePerSecond}`);
  assert.match(f.basis, /since the reboot/);
});

test("a big release (the level drops and stays down) resets the rate; a lasting rise continues from there", () => {
  const f = run(series((s, i) => (i < 500 ? 12_000 + 0.3 * s : 2_000 + 0.05 * (s - 500 * 30))));
  assert.equal(f.window.resetAt, new Date(NOW - (720 - 1 - 500) * STEP).toISOString());
  assert.ok(within(f.ratePerSecond, 0.05), `rate ${f.ratePerSecond}`);
  assert.match(f.basis, /since the release/);
});

test("pod churn around a flat level is not a leak", () => {
  const r = rng(3);
  // Deployments come and go: a square wave of 300 memcgs every 40 min, a slow daily-ish swing, jitter.
  const churn = run(series((s) => 4000 + (Math.floor(s / 2400) % 2) * 300 + 150 * Math.sin(s / 5000) + 20 * gauss(r)));
  assert.equal(churn.leaking, false, churn.basis);
  assert.equal(churn.secondsToCap, null);
  assert.equal(churn.capAt, null);
  // A mean-reverting wander (AR(1), as pods are scheduled) has no trend either.
  let e = 0;
  const wander = run(series(() => 4000 + (e = 0.98 * e + 30 * gauss(r))));
  assert.equal(wander.leaking, false, wander.basis);
  assert.match(wander.basis, /no significant rise/);
});

test("a flat series and a falling one are not leaking; a rise under MIN_RISE is not either", () => {
  assert.equal(run(series(() => 500)).leaking, false);
  assert.equal(run(series((s) => 9000 - 0.2 * s)).leaking, false);
  const tiny = run(series((s) => 500 + ((MIN_RISE - 2) * s) / 21_600));
  assert.equal(tiny.leaking, false, tiny.basis);
  assert.ok((tiny.ratePerSecond as number) > 0);
});

test("too few samples since the reset give no rate and say so", () => {
  const f = run(series((s) => 100 + s, { n: 6 }));
  assert.equal(f.ratePerSecond, null);
  assert.equal(f.leaking, false);
  assert.match(f.basis, /Too few samples/);
});

test("samples outside the window are ignored", () => {
  const old = series((s) => 100 + 5 * s).map((x) => ({ ...x, t: x.t - 2 * DEFAULT_WINDOW_MS }));
  const f = run([...old, ...series(() => 60_000)]);
  assert.equal(f.window.samples, 720);
  assert.equal(f.leaking, false);
});

test("dying memcgs that hold IDs are forecast from total, even in cheap samples without a walk", () => {
  const cheap = series((s) => 1000 + 0.4 * s, { walk: false });
  const held = run(cheap, true);
  assert.ok(held.leaking && within(held.ratePerSecond, 0.4), held.basis);
  assert.equal(held.dying, null);
  const unknownHeld = run(cheap, "unknown");
  assert.ok(unknownHeld.leaking, "unknown counts dying memcgs as ID holders (the high end)");
  const notHeld = run(cheap, false);
  assert.equal(notHeld.ratePerSecond, null, "live memcgs are unknown without a walk");
});

test("dying memcgs that hold no ID: their rate and daily memory cost, live flat", () => {
  const r = rng(4);
  const s = series(() => 3000).map((x, i) => {
    const dying = Math.round(100 + 0.02 * i * 30 + 3 * gauss(r));
    return { ...x, dying, total: x.total + dying, pinnedBytes: 1e6 + 500 * i * 30 };
  });
  const f = run(s, false);
  assert.equal(f.leaking, false, f.basis);
  assert.ok(f.dying && within(f.dying.ratePerSecond, 0.02), JSON.stringify(f.dying));
  const want = 0.02 * 86_400 * MEMCG_COSTS.dyingKernelBytes + 500 * 86_400;
  assert.ok(within(f.dying.bytesPerDay, want), `${f.dying.bytesPerDay} vs ${want}`);
  assert.match(f.basis, /dying memcgs \(no ID held\) \+\d/);
});

test("lastReset: a spike's return is no release, a lasting drop is placed at its step", () => {
  const pts = (ys: number[], boot = (_i: number) => "b") => ys.map((y, i) => ({ t: i, y, bootId: boot(i) }));
  assert.equal(lastReset(pts([5000, 5000, 9000, 5000, 5000, 5000, 5000, 5000])), null);
  assert.equal(lastReset(pts([5000, 5000, 5000, 5000, 1000, 5000, 5000, 5000])), null);
  assert.equal(lastReset(pts([5000, 5010, 5020, 5030, 5040, 3000, 3010, 3020, 3030, 3040]))?.index, 5);
  assert.equal(
    lastReset(pts([500, 510, 520, 530, 540, 480, 490, 500, 510, 520])),
    null,
    "a 60-memcg dip of 11 % is churn",
  );
  const rb = lastReset(pts([1, 2, 3, 4, 5, 6], (i) => (i < 3 ? "a" : "b")));
  assert.deepEqual(rb, { index: 3, t: 3, why: "reboot" });
});

test("a month of 30 s samples (86,400) is forecast through bucketing", () => {
  const n = 86_400;
  const f = forecast(
    series((s) => 1000 + 0.01 * s, { n }),
    { nowMs: NOW, cap: CAP, dyingHoldIds: false, windowMs: n * STEP },
  );
  assert.ok(within(f.ratePerSecond, 0.01), `rate ${f.ratePerSecond}`);
  assert.equal(f.window.samples, n);
});
