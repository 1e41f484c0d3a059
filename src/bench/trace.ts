import * as fs from "node:fs";
import { spawn } from "node:child_process";
import { Host } from "../host/host.js";
import { DyingTracer, memoryHierarchyId } from "../collect/dying-tracer.js";
import { DyingSet } from "../analyze/dying-set.js";
import { MEMCG_V1, needsRootMemcgV1, uniqueName, removeCgroupTree } from "../testing/kernel.js";
import { mountPrivate, unmountPrivate } from "../host/tracefs-mount.js";
import { selfOwner } from "../collect/trace-owner.js";
import { formatInstanceName } from "../parsers/trace-instance-name.js";
import { removeDeadTracers } from "../actions/trace-cleanup.js";

/**
 * CPU cost of `cgleak trace` (issue 8): the tracer runs here and a child process churns empty
 * memcgs (mkdir + rmdir) at a fixed rate, so process.cpuUsage() counts the tracer alone.
 * Then what a start pays to remove the instances killed tracers left (issue #20 item 11).
 * Usage: node dist/bench/trace.js [seconds per rate, default 10]
 */
const SECONDS = Number(process.argv[2] ?? 10);
const RATES = [0, 100, 1000];

// Batches every 10 ms keep the rate steady without a process per cgroup.
const CHURN = `const fs = require("node:fs"); const [dir, rate, secs] = process.argv.slice(1);
let i = 0; const per = Number(rate) / 100, end = Date.now() + Number(secs) * 1000, t0 = Date.now();
const tick = () => { const due = Math.floor((Date.now() - t0) / 1000 * Number(rate));
  for (; i < due; i++) { const c = dir + "/c" + i; fs.mkdirSync(c); fs.rmdirSync(c); }
  if (Date.now() < end) setTimeout(tick, 10); else console.log(i); };
tick();`;

/** Starts the churn child; the promise gives how many cgroups it made. Spawning is left out of the measure. */
function churn(dir: string, rate: number, secs: number): Promise<number> {
  const child = spawn(process.execPath, ["-e", CHURN, dir, String(rate), String(secs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.on("exit", () => r(Number(out.trim()))));
}

async function measure(parent: string, rate: number, secs: number, print = true): Promise<void> {
  const host = new Host("/");
  const tracer = new DyingTracer(host, new DyingSet(memoryHierarchyId(host)));
  let dying = 0;
  let released = 0;
  let lost = 0;
  tracer.on("change", (c: { type: string }) => (c.type === "dying" ? dying++ : c.type === "released" ? released++ : 0));
  tracer.on("lost", (l: { count: number }) => (lost += l.count));
  tracer.start();
  const done = churn(parent, rate, secs);
  const cpu0 = process.cpuUsage();
  const lines0 = tracer.linesRead;
  const t0 = process.hrtime.bigint();
  const made = await done;
  await new Promise((r) => setTimeout(r, 300)); // the last releases come ~40 ms after their rmdir
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  tracer.stop();
  const ms = (cpu.user + cpu.system) / 1000;
  const lines = tracer.linesRead - lines0;
  if (!print) return;
  // Other memcg creators on the host (rmdir/release seen beyond ours) are traced too: per-line cost is the fair unit.
  console.log(
    `${String(rate).padStart(5)}/s  ours ${String(made).padStart(6)}  rmdir ${String(dying).padStart(6)}  release ${String(released).padStart(6)}  lines ${String(lines).padStart(6)}  lost ${lost}  ` +
      `CPU ${ms.toFixed(0)} ms / ${wall.toFixed(1)} s = ${((ms / 1000 / wall) * 100).toFixed(2)}% of a CPU (sys ${(cpu.system / 1000).toFixed(0)} ms), ${lines > 0 ? ((ms * 1000) / lines).toFixed(1) : "-"} µs/line`,
  );
}

/** `n` instances named for dead makers (pids past PID_MAX_LIMIT, 2^22) under a bench prefix; times their removal. */
function measureCleanup(n: number): void {
  const host = new Host("/");
  const prefix = `cgleak-bench-${process.pid}`;
  const self = selfOwner(host);
  const mine = mountPrivate(formatInstanceName(`${prefix}-runner`, self));
  const dir = (name: string): string => `${mine}/instances/${name}`;
  const names = Array.from({ length: n }, (_, i) => formatInstanceName(prefix, { ...self, pid: (1 << 22) + 1 + i }));
  try {
    for (const name of names) fs.mkdirSync(dir(name));
    let lines = 0;
    const t0 = process.hrtime.bigint();
    removeDeadTracers(host, mine, prefix, self, () => lines++);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(
      `cleanup: ${lines} of ${n} dead instances removed in ${ms.toFixed(0)} ms, ` + `${(ms / n).toFixed(1)} ms each`,
    );
  } finally {
    for (const name of names) if (fs.existsSync(dir(name))) fs.rmdirSync(dir(name));
    unmountPrivate(mine);
  }
}

const skip = needsRootMemcgV1();
if (skip) {
  console.error(`bench trace: ${skip}`);
  process.exit(1);
}
const parent = `${MEMCG_V1}/${uniqueName("bench-trace")}`;
fs.mkdirSync(parent);
try {
  await measure(parent, 1000, 2, false); // JIT warm-up, not reported
  for (const rate of RATES) await measure(parent, rate, SECONDS);
  measureCleanup(20);
} finally {
  removeCgroupTree(parent);
}
