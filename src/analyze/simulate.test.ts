import { test } from "node:test";
import assert from "node:assert/strict";
import {
  simulate,
  closedForm,
  podsBeforeFailure,
  podsBeforeMemoryFailure,
  churnTable,
  SIM_DEFAULTS,
  type SimInput,
} from "./simulate.js";

const article: SimInput = { ...SIM_DEFAULTS, podsPerHour: 100, dyingHoldIds: true };

test("the article's figure: 100% leak, 2 memcgs per pod fails after (65535 - boot) / 2 pods", () => {
  for (const boot of [100, 135, 1]) {
    const r = simulate({ ...article, bootMemcgs: boot });
    assert.equal(r.pods, Math.floor((65535 - boot) / 2));
    assert.ok(r.pods > 32_000 && r.pods < 32_800, `about 32,700, got ${r.pods}`);
    assert.equal(r.failsAtHours, r.pods / 100);
    assert.ok(r.peakIds + 2 > 65535 && r.peakIds <= 65535);
  }
});

test("without a memory budget, kernels where dying memcgs free their ID never fail, however much leaks", () => {
  const r = simulate({ ...article, dyingHoldIds: false, horizonHours: 24 * 30 });
  assert.equal(r.failsAtHours, undefined);
  assert.equal(r.failure, undefined);
  assert.equal(r.pods, 100 * 24 * 30 + 1);
  assert.equal(r.peakDying, 2 * 100 * 24 * 30);
  assert.equal(r.peakDyingBytes, r.peakDying * SIM_DEFAULTS.bytesPerDying);
});

const cases: Array<[string, Partial<SimInput>]> = [
  ["half leak, 3 memcgs per pod, 20 running pods", { leakShare: 0.5, memcgsPerPod: 3, runningPods: 20 }],
  ["a 7% leak", { leakShare: 0.07, podsPerHour: 37 }],
  ["reboot before the cap is reached", { rebootEveryHours: 24 * 7 }],
  ["reboot long after the cap", { rebootEveryHours: 24 * 30 }],
  ["page-cache pins freed after 2 h", { pinnedHours: 2, podsPerHour: 1000 }],
  ["page-cache pins held a week, reclaim daily", { pinnedHours: 24 * 7, reclaimEveryHours: 24, podsPerHour: 2000 }],
  ["reclaim does not free a kernel leak", { reclaimEveryHours: 1 }],
  ["no headroom at boot", { bootMemcgs: 65534 }],
  ["memory first where dying memcgs hold no ID", { dyingHoldIds: false, memoryBudgetBytes: 1e9 }],
  ["memory first even where they hold IDs: a small budget", { memoryBudgetBytes: 2e8, leakShare: 0.3 }],
  ["the ID cap first: a budget larger than 65,535 dying memcgs hold", { memoryBudgetBytes: 1e10 }],
  [
    "memory, reclaim daily frees page-cache pins first",
    { dyingHoldIds: false, memoryBudgetBytes: 1e9, pinnedHours: 24 * 7, reclaimEveryHours: 24 },
  ],
  ["memory, a weekly reboot comes later", { dyingHoldIds: false, memoryBudgetBytes: 1e9, rebootEveryHours: 24 * 30 }],
];
for (const [name, over] of cases) {
  test(`event simulation equals the closed form: ${name}`, () => {
    const input = { ...article, ...over };
    const sim = simulate(input);
    const cf = closedForm(input);
    assert.equal(sim.pods, cf.pods);
    assert.equal(sim.failsAtHours, cf.failsAtHours);
    assert.equal(sim.failure, cf.failure);
  });
}

test("where dying memcgs hold no ID, the memory budget is the failure: computed by hand", () => {
  // 1e9 bytes / 25,000 bytes each = 40,000 dying memcgs = 20,000 pods at 2 per pod = 200 h at 100 pods/h
  const input = { ...article, dyingHoldIds: false, bytesPerDying: 25_000, memoryBudgetBytes: 1e9 };
  assert.equal(podsBeforeMemoryFailure(input), 20_000);
  const r = simulate(input);
  assert.deepEqual([r.failure, r.pods, r.failsAtHours, r.peakDying], ["memory", 20_000, 200, 40_000]);
  assert.ok(r.peakDyingBytes >= 1e9);
  // the budget is not a whole number of memcgs: one more memcg crosses it
  assert.equal(podsBeforeMemoryFailure({ ...input, memoryBudgetBytes: 1e9 + 1 }), 20_001);
});

test("the memory budget scales the failure: twice the cost per memcg, half the time", () => {
  const base = { ...article, dyingHoldIds: false, memoryBudgetBytes: 2e9 };
  const cheap = simulate({ ...base, bytesPerDying: 20_000 });
  const dear = simulate({ ...base, bytesPerDying: 40_000 });
  assert.equal(dear.failsAtHours! * 2, cheap.failsAtHours!);
});

test("the ID cap still comes first on RHEL 7-like kernels with a budget no node reaches", () => {
  const r = simulate({ ...article, memoryBudgetBytes: 1e12 });
  assert.equal(r.failure, "id-cap");
  assert.equal(r.pods, Math.floor((65535 - 100) / 2));
});

test("closed-form cases computed by hand", () => {
  // (65535 - 100 - 20*3 - 3) = 65372 IDs of headroom; 1.5 leak per pod -> first n with floor(n*1.5) > 65372
  assert.equal(podsBeforeFailure({ ...article, leakShare: 0.5, memcgsPerPod: 3, runningPods: 20 }), 43582);
  // a week's reboot beats 327 h to failure at 100 pods/h
  assert.equal(closedForm({ ...article, rebootEveryHours: 168 }).failsAtHours, undefined);
  // 2 h pins at 1000 pods/h hold at most 4,000 IDs: never fails
  assert.equal(simulate({ ...article, pinnedHours: 2, podsPerHour: 1000 }).failsAtHours, undefined);
  assert.equal(simulate({ ...article, pinnedHours: 2, podsPerHour: 1000 }).peakDying, 4000);
});

test("the churn table fails sooner at higher churn", () => {
  const rows = churnTable(article, [10, 100, 1000]);
  const hours = rows.map((r) => r.failsAtHours ?? Infinity);
  assert.ok(hours[0]! > hours[1]! && hours[1]! > hours[2]!);
  assert.deepEqual(
    rows.map((r) => r.pods),
    [32717, 32717, 32717],
  );
});
