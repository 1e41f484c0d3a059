/**
 * The scan's speed and memory on the real kernel: 10,000 and 60,000 live memcgs (100 or 600
 * parents of 99 leaves, as in kernel-lab.md §7), removed afterwards even on failure or Ctrl-C.
 * Reports the median walk, the median whole `cgleak scan --json` process, the median
 * `find <mount> -type d | wc -l`, their ratios, and the scan process's peak RSS.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree } from "../testing/kernel.js";
import { CLI } from "../testing/fixtures.js";

const RUNS = 7;
const root = path.join(MEMCG_V1, `cgleak-bench-${process.pid}`);

function build(parents: number): void {
  fs.mkdirSync(root);
  for (let p = 0; p < parents; p++) {
    const dir = path.join(root, `p${p}`);
    fs.mkdirSync(dir);
    for (let c = 0; c < 99; c++) fs.mkdirSync(path.join(dir, `c${c}`));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Peak RSS of a child, from getrusage(RUSAGE_CHILDREN) in a python3 wrapper: Node cannot read it. */
function peakRssMb(args: string[]): number {
  const py = "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const r = spawnSync("python3", ["-c", py, ...args], { encoding: "utf8" });
  return Number(r.stdout.trim()) / 1024;
}

function measure(label: string): void {
  const opts = { thresholds: DEFAULT_THRESHOLDS, deep: "auto" as const, emptyMinAgeMs: 600_000 };
  const walks: number[] = [];
  let live = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = runScan(new Host("/"), opts);
    walks.push(r.timings.walkSeconds);
    live = r.memcg.live;
  }
  const procs = Array.from({ length: RUNS }, () => timeCommand(process.execPath, [CLI, "scan", "--json"]));
  const finds = Array.from({ length: RUNS }, () => timeCommand("sh", ["-c", `find ${MEMCG_V1} -type d | wc -l`]));
  const rss = peakRssMb([process.execPath, CLI, "scan", "--json"]);
  const [w, p, f] = [median(walks), median(procs), median(finds)];
  process.stdout.write(
    `${label}: ${live} live memcgs | walk ${(w * 1000).toFixed(1)} ms | cgleak scan --json ${(p * 1000).toFixed(0)} ms | find ${(f * 1000).toFixed(0)} ms | scan/find ${(p / f).toFixed(2)} | walk/find ${(w / f).toFixed(2)} | peak RSS ${rss.toFixed(0)} MB\n`,
  );
}

function cleanup(): void {
  removeCgroupTree(root);
}

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    for (const [label, parents] of [["10k", 101], ["60k", 606]] as const) {
      build(parents);
      try {
        measure(label);
      } finally {
        cleanup();
      }
    }
  } finally {
    cleanup();
  }
}
