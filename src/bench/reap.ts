/**
 * `npm run bench -- reap`: the same setup five times, once per remedy, in one run. Each time: a
 * fresh scratch tree with a live workload re-reading a 64 MiB working set every 100 ms, beside
 * 1,000 dying memcgs pinning 64 KiB of page cache each; then the remedy, then 5 s of the workload
 * running. Reported: dying memcgs freed (from the pins below the parent: v1 has no per-subtree
 * count; the kernel-wide delta beside it), the workload's cache evicted at once, the pages it had
 * read back from the disk (its /proc/PID/io read_bytes), its refaults, the node's page
 * cache evicted, and the remedy's wall time. Root, cgroup v1.
 */
import * as fs from "node:fs";
import { needsRootMemcgV1, kernelMemcgTotal } from "../testing/kernel.js";
import {
  liveFigures as live,
  makeDying,
  makeLab,
  readStat,
  removeLab,
  startWorkload,
  type ReapLab,
} from "../testing/reap-setup.js";
import { Host } from "../host/host.js";
import { DEFAULT_POLICY, type ReapMethod } from "../actions/reap-policy.js";
import { openReaper } from "../actions/reap-run.js";
import { reapPass } from "../actions/reap.js";
import { writeKnobAsync, syncWithTimeout } from "../actions/reap-write.js";
import { nodeCachedBytes } from "../actions/reap-report.js";
import { formatBytes } from "../analyze/format.js";
import { sleepMs } from "../actions/rmdir.js";

const N = 1000;
const BYTES = 65536;
const HOT_MIB = 64;
const OBSERVE_MS = 5000;
type Remedy = "nothing" | "reap (limit)" | "reap (force-empty)" | "drop_caches 1" | "drop_caches 3";
const REMEDIES: Remedy[] = ["nothing", "reap (limit)", "reap (force-empty)", "drop_caches 1", "drop_caches 3"];

interface Row {
  remedy: Remedy;
  pinnedBefore: number;
  pinnedAfter: number;
  kernelFreed: number;
  liveEvicted: number;
  chargedIn: number;
  refaults: number;
  nodeEvicted: number;
  seconds: number;
  wall: number;
  verdict: string;
}

function pinned(dir: string): number {
  const st = readStat(dir);
  const kids = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => readStat(`${dir}/${e.name}`).get("total_cache") ?? 0);
  return (st.get("total_cache") ?? 0) - (st.get("cache") ?? 0) - kids.reduce((a, b) => a + b, 0);
}

/** Seconds spent in the kernel writes (sync included): a pass also waits for freeing to settle. */
async function apply(lab: ReapLab, remedy: Remedy): Promise<[write: number, wall: number, verdict: string]> {
  if (remedy === "nothing") return [0, 0, ""];
  if (remedy.startsWith("drop_caches")) {
    const s = await syncWithTimeout(60_000);
    const w = await writeKnobAsync("/proc/sys/vm/drop_caches", remedy.slice(-1), 60_000);
    return [(s.ms + w.ms) / 1000, (s.ms + w.ms) / 1000, ""];
  }
  const method: ReapMethod = remedy === "reap (limit)" ? "limit" : "force-empty";
  const c = await openReaper(new Host("/"), {
    policy: { ...DEFAULT_POLICY, method, targetDying: 0, targetPinnedBytes: 0 },
    stateFile: `${lab.tmp}/state.json`,
    dryRun: false,
    yes: true,
    observeMs: 0,
    under: lab.rel,
    say: () => {},
  });
  if ("refused" in c) throw new Error(c.refused);
  const r = await reapPass(c);
  // anything but "acted" means the pins were gone before the pass: another process dropped caches
  return [r.writeSeconds, r.seconds, r.verdict === "acted" ? "" : ` (pass ${r.verdict}: disturbed, rerun)`];
}

async function run(remedy: Remedy): Promise<Row> {
  const lab = makeLab("bench-reap");
  try {
    startWorkload(lab, HOT_MIB);
    makeDying(lab, lab.pods, `${lab.tmp}/pc`, N, BYTES);
    sleepMs(3000); // the working set is hot; memcg stats flushed
    const pinnedBefore = pinned(lab.pods);
    const k0 = kernelMemcgTotal();
    const l0 = live(lab);
    const c0 = nodeCachedBytes(new Host("/")) ?? 0;
    const [seconds, wall, verdict] = await apply(lab, remedy);
    const l1 = live(lab);
    const c1 = nodeCachedBytes(new Host("/")) ?? 0;
    sleepMs(OBSERVE_MS);
    const l2 = live(lab);
    return {
      remedy,
      pinnedBefore,
      pinnedAfter: pinned(lab.pods),
      kernelFreed: k0 - kernelMemcgTotal(),
      liveEvicted: Math.max(0, l0.cache - l1.cache),
      chargedIn: l2.diskRead - l0.diskRead,
      refaults: l2.refaults - l0.refaults,
      nodeEvicted: Math.max(0, c0 - c1),
      seconds,
      wall,
      verdict,
    };
  } finally {
    const problems = await removeLab(lab);
    if (problems.length > 0) process.stdout.write(`cleanup problems: ${problems.join("; ")}\n`);
  }
}

function table(rows: Row[]): string {
  const base = rows.find((r) => r.remedy === "nothing")?.chargedIn ?? 0;
  const head =
    "| remedy | dying freed (pins) | kernel-wide delta | live cache evicted | live re-read in 5 s | live refaults | node cache evicted | dying freed per GiB evicted | write time (sync included) | wall time (a pass also finds its targets and waits for freeing to settle) |\n|---|---|---|---|---|---|---|---|---|---|";
  const lines = rows.map((r) => {
    const freed = Math.round((r.pinnedBefore - r.pinnedAfter) / BYTES);
    const reread = Math.max(0, r.chargedIn - base);
    const evicted = Math.max(r.nodeEvicted - (r.pinnedBefore - r.pinnedAfter), r.liveEvicted, reread);
    const merit =
      freed <= 0 ? "-" : evicted < 4096 ? "no live page evicted" : String(Math.round(freed / (evicted / 1024 ** 3)));
    return `| ${r.remedy}${r.verdict} | ${freed} of ${N} | ${r.kernelFreed} | ${formatBytes(r.liveEvicted)} | ${formatBytes(reread)} | ${r.refaults} | ${formatBytes(r.nodeEvicted)} | ${merit} | ${r.seconds.toFixed(2)} s | ${r.wall.toFixed(2)} s |`;
  });
  return [head, ...lines].join("\n");
}

const skip = needsRootMemcgV1();
if (skip) {
  process.stdout.write(`skipped: ${skip}\n`);
} else {
  const rows: Row[] = [];
  for (const remedy of REMEDIES) rows.push(await run(remedy));
  process.stdout.write(
    `${N} dying memcgs x ${BYTES / 1024} KiB beside a ${HOT_MIB} MiB hot working set, 5 s observed after each remedy\n${table(rows)}\n`,
  );
  process.stdout.write(
    "live re-read: bytes the workload read from the disk after the remedy, minus the 'nothing' row; evicted (for the merit): the largest of node cache evicted minus the pins freed, the live cache evicted, and the live re-read\n",
  );
}
