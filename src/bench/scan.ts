/**
 * The scan's speed and memory on the real kernel: 10,000 and 60,000 live memcgs (100 or 600
 * parents of 99 leaves, as in kernel-lab.md §7), removed afterwards even on failure or Ctrl-C.
 * Reports the median walk, the median whole `cgleak scan --json` process (the bin, as installed),
 * the median `find <mount> -type d | wc -l`, their ratios, and the scan process's peak RSS.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Host } from "../host/host.js";
import { runScan, DEFAULT_THRESHOLDS } from "../scan.js";
import { MEMCG_V1, needsRootMemcgV1, removeCgroupTree } from "../testing/kernel.js";
import { CLI } from "../testing/fixtures.js";

const RUNS = 11;
const root = path.join(MEMCG_V1, `cgleak-bench-${process.pid}`);

/**
 * The environment cgleak runs in on a node. This workplace exports NODE_EXTRA_CA_CERTS (a CA
 * bundle for its proxy), which makes every Node process parse ~150 certificates before running a
 * line of JS: ~40 ms per start here, nothing a scan needs. Both figures are printed.
 */
const NODE_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_EXTRA_CA_CERTS"));

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

function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Peak RSS of a child, from getrusage(RUSAGE_CHILDREN) in a python3 wrapper: Node cannot read it. */
function peakRssMb(args: string[]): number {
  const py = "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const r = spawnSync("python3", ["-c", py, ...args], { encoding: "utf8", env: NODE_ENV });
  return Number(r.stdout.trim()) / 1024;
}

function measure(label: string): void {
  const opts = { thresholds: DEFAULT_THRESHOLDS, deep: "auto" as const, emptyMinAgeMs: 600_000 };
  const walks: number[] = [];
  let live = 0;
  let dying = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = runScan(new Host("/"), opts);
    walks.push(r.timings.walkSeconds);
    live = r.memcg.live;
    dying = r.memcg.dying; // above 0, the scan also reads a memory.stat per subtree child (the pins)
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
  const [w, p, q, f, n] = [median(walks), median(procs), median(inherited), median(finds), median(nodes)];
  const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
  process.stdout.write(
    `${label}: ${live} live memcgs, ${dying} dying | walk ${(w * 1000).toFixed(1)} ms | cgleak scan --json ${ms(p)} | find ${ms(f)} | scan/find ${(p / f).toFixed(2)} | walk/find ${(w / f).toFixed(2)} | peak RSS ${rss.toFixed(0)} MB\n` +
      `     (node -e 0 ${ms(n)}; with this shell's NODE_EXTRA_CA_CERTS the scan takes ${ms(q)}, scan/find ${(q / f).toFixed(2)})\n`,
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
