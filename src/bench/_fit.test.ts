import { test } from "node:test";
import assert from "node:assert/strict";
import { leastSquares, fitKernel } from "./_fit.js";
import type { CostRun } from "./_dying-cost.js";

test("leastSquares() recovers an exact line and reports the worst residual", () => {
  const l = leastSquares([1, 2, 4, 8], [3, 5, 9, 17]);
  assert.ok(Math.abs(l.intercept - 1) < 1e-9 && Math.abs(l.slope - 2) < 1e-9 && l.maxResidual < 1e-9);
  const noisy = leastSquares([1, 2, 3], [1, 3, 2]);
  assert.ok(Math.abs(noisy.slope - 0.5) < 1e-9 && Math.abs(noisy.intercept - 1) < 1e-9);
  assert.ok(Math.abs(noisy.maxResidual - 1) < 1e-9);
  assert.throws(() => leastSquares([2, 2], [1, 3]));
});

function run(cpus: number, nodes: number, slab: number, percpu: number): CostRun {
  const zero = {
    Percpu: 0,
    Slab: 0,
    SUnreclaim: 0,
    SReclaimable: 0,
    VmallocUsed: 0,
    KernelStack: 0,
    MemFree: 0,
    Cached: 0,
  };
  return {
    kernel: "k",
    cgroup: 2,
    possibleCpus: cpus,
    possibleNodes: nodes,
    start: { dying: 0, memstatMs: null },
    steps: [
      {
        made: 1000,
        dying: 1000,
        delta: { ...zero, SUnreclaim: slab * 1000, Percpu: percpu * 1000 },
        memstatMs: null,
        memstatFirstMs: null,
      },
    ],
    freed: { dying: 0, delta: zero, memstatMs: null, how: "" },
  };
}

test("fitKernel() splits fixed, per-CPU and per-node parts of synthetic runs", () => {
  // fixed 15000, 2000 per CPU; a second node adds 1000 + 700 per CPU
  const runs = [1, 2, 4, 8]
    .map((c) => run(c, 1, 15000, 2000 * c))
    .concat([2, 4, 8].map((c) => run(c, 2, 16000, 2700 * c)));
  const f = fitKernel("k", runs);
  assert.ok(Math.abs(f.total.intercept - 15000) < 1e-6 && Math.abs(f.total.slope - 2000) < 1e-6);
  assert.ok(Math.abs(f.extraNode!.intercept - 1000) < 1e-6 && Math.abs(f.extraNode!.slope - 700) < 1e-6);
  assert.ok(Math.abs(f.percpu.intercept) < 1e-6 && Math.abs(f.slab.slope) < 1e-6);
});

test("renderRun() marks a step whose kernel dying count moved by more than the run made", async () => {
  const { renderRun } = await import("./_dying-cost.js");
  const clean = run(2, 1, 12000, 4000);
  assert.doesNotMatch(renderRun(clean), /NOT CLEAN/);
  const dirty = { ...clean, steps: clean.steps.map((s) => ({ ...s, dying: s.made + 900 })) };
  assert.match(renderRun(dirty), /NOT CLEAN: the kernel's dying count moved \+900 besides ours/);
});
