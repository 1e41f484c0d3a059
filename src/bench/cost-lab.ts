/**
 * The dying-memcg cost on the qemu lab's kernels (Debian 6.1 and 6.12, cgroup v2) with 1, 2, 4
 * and 8 CPUs, and 2 NUMA nodes at 2, 4 and 8 CPUs: each guest makes 1,000 then 2,000 dying
 * memcgs (bench/_dying-cost.ts) and reports /proc/meminfo deltas. Software emulation on a small
 * host: counts stay modest. Prints each run and writes them all as JSON to --out FILE.
 *   npm run bench -- cost-lab [--out runs.json] [--kernels 6.1,6.12]
 *   node dist/bench/cost-lab.js --fit runs.json     (the fits of saved runs, no guest)
 */
import * as fs from "node:fs";
import { labAvailable, runInGuest, type LabKernel } from "../lab/qemu.js";
import { renderRun, type CostRun } from "./_dying-cost.js";
import { fitKernel, perMemcg, type Line } from "./_fit.js";

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const kernels = opt("--kernels", "6.1,6.12").split(",") as LabKernel[];
const out = opt("--out", "");
const TOPOLOGIES: Array<[cpus: number, nodes: number]> = [
  [1, 1],
  [2, 1],
  [4, 1],
  [8, 1],
  [2, 2],
  [4, 2],
  [8, 2],
];

function printFits(runs: CostRun[]): void {
  const b = (x: number): string => x.toFixed(0);
  const line = (l: Line): string => `${b(l.intercept)} + ${b(l.slope)} x CPUs (max residual ${b(l.maxResidual)})`;
  for (const r of runs) {
    const p = perMemcg(r);
    process.stdout.write(
      `${r.kernel} cpus ${r.possibleCpus} nodes ${r.possibleNodes} n ${p.n}: SUnreclaim ${b(p.slab)} B + Percpu ${b(p.percpu)} B = ${b(p.total)} B per dying memcg\n`,
    );
  }
  for (const k of [...new Set(runs.map((r) => r.kernel))]) {
    const mine = runs.filter((r) => r.kernel === k && r.possibleNodes === 1);
    if (new Set(mine.map((r) => r.possibleCpus)).size < 2) {
      process.stdout.write(`fit ${k}: needs one-node runs at two CPU counts at least\n`);
      continue;
    }
    const f = fitKernel(
      k,
      runs.filter((r) => r.kernel === k),
    );
    process.stdout.write(
      `fit ${k}: total ${line(f.total)}; slab ${line(f.slab)}; percpu ${line(f.percpu)}; extra node ${f.extraNode ? line(f.extraNode) : "not measured"}\n`,
    );
  }
}

const fitFile = opt("--fit", "");
const skip = fitFile !== "" ? false : labAvailable();
if (fitFile !== "") {
  printFits(JSON.parse(fs.readFileSync(fitFile, "utf8")) as CostRun[]);
} else if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  const runs: CostRun[] = [];
  for (const kernel of kernels) {
    for (const [cpus, nodes] of TOPOLOGIES) {
      process.env["CGLEAK_LAB_SMP"] = String(cpus);
      process.env["CGLEAK_LAB_NUMA"] = String(nodes);
      const r = await runInGuest({ kernel, command: "node dist/bench/_cost-guest.js 1000 2000", timeoutSeconds: 1800 });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      if (r.rc !== 0 || !line.startsWith("{")) {
        process.stdout.write(
          `${kernel} -smp ${cpus} numa ${nodes}: guest rc ${r.rc}: ${r.stderr
            .split("\n")
            .filter((l) => l.includes("[guest stderr]"))
            .slice(-3)
            .join(" | ")}\n`,
        );
        continue;
      }
      const run = JSON.parse(line) as CostRun;
      runs.push(run);
      process.stdout.write(`${kernel} -smp ${cpus} numa ${nodes} (${r.totalSeconds.toFixed(0)} s):\n${renderRun(run)}`);
      if (out !== "") fs.writeFileSync(out, JSON.stringify(runs, null, 1) + "\n");
    }
  }
  printFits(runs);
}
