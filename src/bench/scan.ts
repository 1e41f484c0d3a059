/**
 * The scan's speed and memory on the real kernel (issue #17): 10,000 and 60,000 live memcgs (100 or
 * 600 parents of 99 leaves, as in docs/lab-results.md §5), and a kubelet-like tree of 10,000 live
 * memcgs with 1,000 dying containers under live pods (src/bench/_scan-tree.ts), each removed
 * afterwards even on failure or Ctrl-C.
 * Reports the median walk, the median whole `cgleak scan --json` process (the bin, as installed),
 * the median `find <mount> -type d | wc -l`, their ratios, and the scan process's peak RSS.
 */
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { MEMCG_V1, needsRootMemcgV1 } from "../testing/kernel.js";
import { buildFlat, buildKubepods, removeTree } from "./_scan-tree.js";
import { CLI } from "../testing/fixtures.js";

const RUNS = 11;
/** `npm run bench -- scan 10k+` runs only the scenarios whose label starts with it. */
const only = process.argv.slice(2).find((a) => a !== "scan");
const root = path.join(MEMCG_V1, `cgleak-bench-${process.pid}`);
/** Where the dying containers' pages live (see src/bench/_scan-tree.ts). */
const FILES = `/dev/shm/cgleak-bench-${process.pid}-files`;

/**
 * The environment cgleak runs in on a node. This workplace exports NODE_EXTRA_CA_CERTS (a CA
 * bundle for its proxy), which makes every Node process parse ~150 certificates before running a
 * line of JS: ~40 ms per start here, nothing a scan needs. Both figures are printed.
 */
const NODE_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_EXTRA_CA_CERTS"));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Peak RSS of a child, from getrusage(RUSAGE_CHILDREN) in a python3 wrapper: Node cannot read it. */
function peakRssMb(args: string[]): number {
  const py =
    "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const r = spawnSync("python3", ["-c", py, ...args], { encoding: "utf8", env: NODE_ENV });
  return Number(r.stdout.trim()) / 1024;
}

/**
 * CPU seconds (user + system) of a child and its children, from getrusage(RUSAGE_CHILDREN): on a
 * machine other jobs keep busy, wall time mostly measures waiting for a CPU; this does not.
 */
function cpuSeconds(args: string[]): number {
  const py =
    "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); r=resource.getrusage(resource.RUSAGE_CHILDREN); print(r.ru_utime+r.ru_stime)";
  const r = spawnSync("python3", ["-c", py, ...args], { encoding: "utf8", env: NODE_ENV });
  return Number(r.stdout.trim());
}

function measure(label: string): void {
  const opts = { thresholds: DEFAULT_THRESHOLDS, deep: "auto" as const, emptyMinAgeMs: 600_000 };
  const walks: number[] = [];
  let live = 0;
  let dying = 0;
  let reads = 0;
  const pinsMs: number[] = [];
  const ctlMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = runScan(new Host("/"), opts);
    walks.push(r.timings.walkSeconds);
    live = r.memcg.live;
    dying = r.memcg.dying; // above 0, the scan also looks for the pins
    reads = r.dying.pinReads ?? 0;
    pinsMs.push((r.timings.pinsSeconds ?? 0) * 1000);
    ctlMs.push((r.timings.controllersWalkSeconds ?? 0) * 1000);
  }
  const scan = [process.execPath, CLI, "scan", "--json"] as const;
  const procs: number[] = [];
  const inherited: number[] = [];
  const finds: number[] = [];
  const nodes: number[] = [];
  // Interleaved, so that a busy moment on the machine weighs on every figure alike.
  for (let i = 0; i < RUNS; i++) {
    procs.push(timeCommand(scan[0], scan.slice(1), NODE_ENV));
    inherited.push(timeCommand(scan[0], scan.slice(1)));
    finds.push(timeCommand("sh", ["-c", `find ${MEMCG_V1} -type d | wc -l`]));
    nodes.push(timeCommand(process.execPath, ["-e", "0"], NODE_ENV));
  }
  const rss = peakRssMb([...scan]);
  const cpuScan = median(Array.from({ length: RUNS }, () => cpuSeconds([...scan])));
  const cpuFind = median(
    Array.from({ length: RUNS }, () => cpuSeconds(["sh", "-c", `find ${MEMCG_V1} -type d | wc -l`])),
  );
  const [w, p, q, f, n] = [median(walks), median(procs), median(inherited), median(finds), median(nodes)];
  const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
  process.stdout.write(
    `${label}: ${live} live memcgs, ${dying} dying (pins: ${reads} memory.stat reads, ${median(pinsMs).toFixed(1)} ms) | walk ${(w * 1000).toFixed(1)} ms (other controllers ${median(ctlMs).toFixed(1)} ms) | cgleak scan --json ${ms(p)} | find ${ms(f)} | scan/find ${(p / f).toFixed(2)} | walk/find ${(w / f).toFixed(2)} | peak RSS ${rss.toFixed(0)} MB\n` +
      `     scan/find run by run (${RUNS} runs): without NODE_EXTRA_CA_CERTS ${spread(procs, finds)}; with it ${spread(inherited, finds)}\n` +
      `     (node -e 0 ${ms(n)}; with this shell's NODE_EXTRA_CA_CERTS the scan takes ${ms(q)}, scan/find ${(q / f).toFixed(2)})\n` +
      `     CPU time (user + system): scan ${ms(cpuScan)}, find ${ms(cpuFind)}, scan/find ${(cpuScan / cpuFind).toFixed(2)}\n`,
  );
}

/**
 * The ratio of each scan to the find run right after it: median and range. Others share this
 * machine, so a single median hides how much one busy moment moves the figure.
 */
function spread(scans: number[], finds: number[]): string {
  const r = scans.map((s, i) => s / (finds[i] as number)).sort((a, b) => a - b);
  return `median ${median(r).toFixed(2)}, range ${(r[0] as number).toFixed(2)}-${(r[r.length - 1] as number).toFixed(2)}`;
}

function cleanup(): void {
  removeTree(root, FILES);
}

const SCENARIOS = [
  ["10k", () => buildFlat(root, 101)],
  ["10k+1000 dying under live pods", () => buildKubepods(root, FILES)],
  ["60k", () => buildFlat(root, 606)],
] as const;

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    for (const [label, make] of SCENARIOS) {
      if (only !== undefined && !label.startsWith(only)) continue;
      make();
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
