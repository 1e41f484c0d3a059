/**
 * The cost model's fit (docs/cost-model.md): per kernel, kernel memory per dying memcg
 * (SUnreclaim + Percpu deltas over the dying count) = fixed + perCpu x CPUs by least squares over
 * the one-node guests; the two-node guests minus the one-node line give the per-node terms.
 */
import type { CostRun } from "./_dying-cost.js";

export interface Line {
  intercept: number;
  slope: number;
  maxResidual: number;
}

/** Ordinary least squares y = intercept + slope x; needs two distinct x. */
export function leastSquares(xs: number[], ys: number[]): Line {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  if (sxx === 0) throw new Error("least squares needs at least two different x");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const maxResidual = Math.max(...xs.map((x, i) => Math.abs((ys[i] as number) - (intercept + slope * x))));
  return { intercept, slope, maxResidual };
}

/** Bytes per dying memcg of the largest step: the unreclaimable slab and the per-CPU part. */
export function perMemcg(r: CostRun): { slab: number; percpu: number; total: number; n: number } {
  const s = r.steps[r.steps.length - 1];
  if (s === undefined) throw new Error("a run without steps");
  const slab = s.delta.SUnreclaim / s.made;
  const percpu = s.delta.Percpu / s.made;
  return { slab, percpu, total: slab + percpu, n: s.made };
}

export interface KernelFit {
  kernel: string;
  /** total = fixed + perCpu x CPUs over one-node runs; slab and percpu fitted alone as a check. */
  total: Line;
  slab: Line;
  percpu: Line;
  /** Two nodes minus one: perExtraNode + perCpuPerExtraNode x CPUs; null without two-node runs. */
  extraNode: Line | null;
}

export function fitKernel(kernel: string, runs: CostRun[]): KernelFit {
  const one = runs.filter((r) => r.possibleNodes === 1);
  const xs = one.map((r) => r.possibleCpus);
  const m = one.map(perMemcg);
  const line1 = leastSquares(
    xs,
    m.map((p) => p.total),
  );
  const two = runs.filter((r) => r.possibleNodes === 2);
  const extra =
    two.length < 2
      ? null
      : leastSquares(
          two.map((r) => r.possibleCpus),
          two.map((r) => perMemcg(r).total - (line1.intercept + line1.slope * r.possibleCpus)),
        );
  return {
    kernel,
    total: line1,
    slab: leastSquares(
      xs,
      m.map((p) => p.slab),
    ),
    percpu: leastSquares(
      xs,
      m.map((p) => p.percpu),
    ),
    extraNode: extra,
  };
}
