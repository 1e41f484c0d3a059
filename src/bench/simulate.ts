import { fileURLToPath } from "node:url";
import { simulate, SIM_DEFAULTS, type SimInput } from "../analyze/simulate.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  limit: number;
  ok: boolean;
  detail: string;
}

/**
 * Issue 5's budget: a million pod lifecycles in under a second. The node never fails (IDs are
 * freed at offline), so the simulation runs every pod of the horizon: exactly 1,000,000.
 */
export function benchSimulate(pods = 1_000_000): BenchResult {
  const input: SimInput = {
    ...SIM_DEFAULTS,
    podsPerHour: 1000,
    dyingHoldIds: false,
    pinnedHours: 5,
    reclaimEveryHours: 24,
    horizonHours: (pods - 1) / 1000,
  };
  simulate({ ...input, horizonHours: 10 }); // warm the JIT the way a real run would after start-up
  const started = process.hrtime.bigint();
  const r = simulate(input);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.pods !== pods) throw new Error(`simulate bench ran ${r.pods} pods, expected ${pods}`);
  return {
    name: "simulate 1M pod lifecycles",
    value: Math.round(ms * 10) / 10,
    unit: "ms",
    limit: 1000,
    ok: ms < 1000,
    detail: `${r.pods.toLocaleString("en-US")} pods, peak dying ${r.peakDying.toLocaleString("en-US")}`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = benchSimulate();
  process.stdout.write(
    `${r.name}: ${r.value} ${r.unit} (limit ${r.limit} ${r.unit}) ${r.ok ? "ok" : "TOO SLOW"} - ${r.detail}\n`,
  );
  if (!r.ok) process.exitCode = 1;
}
