import { test } from "node:test";
import assert from "node:assert/strict";
import { simulate, closedForm, podsBeforeFailure, idsHeldByDying, SIM_DEFAULTS, type SimInput } from "./simulate.js";

// A 4.8+ kernel: dying memcgs free their ID unless swap records pin it.
const modern: SimInput = { ...SIM_DEFAULTS, podsPerHour: 100, dyingHoldIds: false };

test("a 10 % swap share on a 4.8+ kernel: mkdir fails once a tenth of the dying fill the headroom", () => {
  // headroom 65535 - 100 boot - 2 for the new pod = 65433; floor(d * 0.1) > 65433 first at d = 654,340
  // dying memcgs = 327,170 pods at 2 per pod, 3,271.7 h at 100 pods/h
  const input = { ...modern, swapShare: 0.1 };
  assert.equal(podsBeforeFailure(input), 327_170);
  const r = simulate(input);
  assert.deepEqual([r.failure, r.pods, r.failsAtHours], ["id-cap", 327_170, 3271.7]);
  assert.deepEqual([r.peakDying, r.peakIds], [654_340, 65_534]);
});

test("IDs used = live + floor(dying x share), and 3.10's dying hold IDs whatever the share", () => {
  assert.equal(idsHeldByDying(999, { ...modern, swapShare: 0.5 }), 499);
  assert.equal(idsHeldByDying(999, { ...modern, swapShare: 0 }), 0);
  assert.equal(idsHeldByDying(999, modern), 0);
  assert.equal(idsHeldByDying(999, { ...modern, dyingHoldIds: true, swapShare: 0.1 }), 999);
  const el7 = { ...modern, dyingHoldIds: true };
  assert.deepEqual(simulate({ ...el7, swapShare: 0.1 }), simulate(el7));
  assert.equal(simulate({ ...el7, swapShare: 0.1 }).pods, Math.floor((65535 - 100) / 2));
});

test("no swap share: a 4.8+ kernel never reaches the ID cap", () => {
  const r = simulate({ ...modern, swapShare: 0, horizonHours: 24 * 365 * 2 });
  assert.equal(r.failure, undefined);
  assert.equal(r.peakIds, 100);
});

test("a swap share turns the first failure from memory to the ID cap", () => {
  // 1e10 bytes / 25,000 = 400,000 dying = 200,000 pods; half swapped: 130,868 dying = 65,434 pods
  const base = { ...modern, bytesPerDying: 25_000, memoryBudgetBytes: 1e10 };
  assert.deepEqual([simulate(base).failure, simulate(base).pods], ["memory", 200_000]);
  const half = simulate({ ...base, swapShare: 0.5 });
  assert.deepEqual([half.failure, half.pods], ["id-cap", 65_434]);
});

test("reclaim does not free swapped-out dying memcgs: a daily drop of caches leaves the ID failure where it was", () => {
  // page-cache pins would last 5,000 h; reclaim every 24 h frees them, not the 10 % in swap
  const input = { ...modern, swapShare: 0.1, pinnedHours: 5000 };
  const daily = simulate({ ...input, reclaimEveryHours: 24 });
  assert.deepEqual([daily.failure, daily.pods], ["id-cap", 327_170]);
  const none = simulate(input);
  assert.deepEqual([daily.failure, daily.pods, daily.peakIds], [none.failure, none.pods, 65_534]);
  // what reclaim does free: the other 90 %, so far fewer are dying at once than without it
  assert.ok(daily.peakDying < none.peakDying / 5, `${daily.peakDying} dying at most`);
  // with no swap share the same reclaim keeps the node from failing at all
  assert.equal(simulate({ ...input, swapShare: 0, reclaimEveryHours: 24 }).failure, undefined);
});

const cases: Array<[string, Partial<SimInput>]> = [
  ["30 % swapped", { swapShare: 0.3 }],
  [
    "a third swapped, half leak, 3 memcgs per pod, 20 running",
    { swapShare: 1 / 3, leakShare: 0.5, memcgsPerPod: 3, runningPods: 20 },
  ],
  ["7 % swapped of a 7 % leak", { swapShare: 0.07, leakShare: 0.07, podsPerHour: 3000, horizonHours: 24 * 3650 }],
  ["all swapped", { swapShare: 1 }],
  ["weekly reboot first", { swapShare: 0.2, rebootEveryHours: 24 * 7 }],
  ["pins released after 2 h", { swapShare: 1, pinnedHours: 2, podsPerHour: 1000 }],
  ["memory first", { swapShare: 0.05, memoryBudgetBytes: 1e9 }],
];
for (const [name, over] of cases) {
  test(`swap share: event simulation equals the closed form: ${name}`, () => {
    const input = { ...modern, ...over };
    const sim = simulate(input);
    const cf = closedForm(input);
    assert.deepEqual([sim.pods, sim.failsAtHours, sim.failure], [cf.pods, cf.failsAtHours, cf.failure]);
  });
}
