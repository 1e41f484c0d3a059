/**
 * The dying-memcg cost experiment, shared by the real-kernel bench (bench/cost.ts, cgroup v1) and
 * the qemu lab guests (bench/_cost-guest.ts, cgroup v2): make N dying memcgs pinned by one page
 * each in a scratch tree, read /proc/meminfo before and after, time the root memory.stat, then
 * free them (delete the file; sync and drop caches if some stay) and remove the tree. The pins
 * are page cache (a file on disk) or shmem (a private tmpfs, which drop_caches cannot free).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { Scratch } from "../actions/scratch.js";
import { dyingCount } from "../collect/dying-count.js";
import { parseMeminfo } from "../parsers/meminfo.js";
import { parseCpuListCount } from "../parsers/cpu-list.js";

const MAKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "_make-dying.js");
export const FIELDS = [
  "Percpu",
  "Slab",
  "SUnreclaim",
  "SReclaimable",
  "VmallocUsed",
  "KernelStack",
  "MemFree",
  "Cached",
] as const;
export type Field = (typeof FIELDS)[number];

export interface Step {
  /** Dying memcgs this experiment made so far, and the kernel's dying count (others' too). */
  made: number;
  dying: number;
  /** Bytes, this step's meminfo minus the start's. */
  delta: Record<Field, number>;
  /** Median time of one read of the root memory.stat, ms (null when the root has none). */
  memstatMs: number | null;
  /** The first read right after the memcgs were made, before the periodic flush: it flushes them. */
  memstatFirstMs: number | null;
}

export interface CostRun {
  kernel: string;
  cgroup: 1 | 2;
  possibleCpus: number;
  possibleNodes: number;
  start: { dying: number; memstatMs: number | null };
  steps: Step[];
  freed: { dying: number; delta: Record<Field, number>; memstatMs: number | null; how: string };
}

export function possible(host: Host, what: "cpu" | "node"): number {
  const file = `/sys/devices/system/${what}/possible`;
  const text = host.readTextIfExists(file);
  return text === undefined ? 1 : parseCpuListCount(text, file);
}

function meminfo(host: Host): Record<Field, number> {
  const m = parseMeminfo(host.readText("/proc/meminfo"));
  return Object.fromEntries(FIELDS.map((f) => [f, m.get(f) ?? 0])) as Record<Field, number>;
}

function minus(a: Record<Field, number>, b: Record<Field, number>): Record<Field, number> {
  return Object.fromEntries(FIELDS.map((f) => [f, a[f] - b[f]])) as Record<Field, number>;
}

/** Median wall time of reading the root memory.stat, the file cAdvisor and kubelet read. */
export function memstatMs(host: Host, h: CgroupHierarchy, reads = 21): number | null {
  const file = host.path(`${h.mountPoint}/memory.stat`);
  if (!fs.existsSync(file)) return null;
  const times: number[] = [];
  for (let i = 0; i < reads; i++) {
    const t0 = process.hrtime.bigint();
    fs.readFileSync(file, "utf8");
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/**
 * Runs the experiment up to each count in `counts` (cumulative, ascending). `fileDir` must be on
 * a disk filesystem: the pins are page cache, freed by deleting the file.
 */
export async function measureDyingCost(
  host: Host,
  h: CgroupHierarchy,
  counts: number[],
  fileDir: string | "private-tmpfs" = os.tmpdir(),
  settleMs = 3000,
): Promise<CostRun> {
  const s = new Scratch(host, h, "cost");
  // shmem pins survive other people's drop_caches on a shared machine; page cache ones do not
  const dir =
    fileDir === "private-tmpfs"
      ? s.mountTmpfs("pins", `${Math.ceil((Math.max(...counts) * 4096) / 2 ** 20) + 64}m`)
      : fileDir;
  const file = path.join(dir, `${s.name}.pages`);
  try {
    await delay(settleMs);
    const start = { dying: dyingCount(host, h), memstatMs: memstatMs(host, h) };
    const base = meminfo(host);
    const steps: Step[] = [];
    let made = 0;
    for (const n of counts) {
      make(s, file, made + 1, n - made);
      made = n;
      const memstatFirstMs = memstatMs(host, h, 1);
      await delay(settleMs);
      steps.push({
        made,
        dying: dyingCount(host, h),
        delta: minus(meminfo(host), base),
        memstatMs: memstatMs(host, h),
        memstatFirstMs,
      });
    }
    const how = await free(host, h, file, start.dying, settleMs);
    const freed = { dying: dyingCount(host, h), delta: minus(meminfo(host), base), memstatMs: memstatMs(host, h), how };
    return {
      kernel: os.release(),
      cgroup: h.version,
      possibleCpus: possible(host, "cpu"),
      possibleNodes: possible(host, "node"),
      start,
      steps,
      freed,
    };
  } finally {
    fs.rmSync(file, { force: true });
    const problems = s.cleanup();
    if (problems.length > 0) process.stderr.write(`cleanup: ${problems.join("; ")}\n`);
  }
}

function make(s: Scratch, file: string, first: number, n: number): void {
  const r = spawnSync(process.execPath, [MAKER, s.dir, s.home, String(n), file, String(first)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.status !== 0) throw new Error(`_make-dying failed (${r.status}): ${r.stderr.trim()}`);
}

/** Deleting the file uncharges its pages; a few memcgs stay pinned by its metadata blocks. */
async function free(
  host: Host,
  h: CgroupHierarchy,
  file: string,
  startDying: number,
  settleMs: number,
): Promise<string> {
  fs.rmSync(file, { force: true });
  await delay(settleMs);
  if (dyingCount(host, h) <= startDying + 10) return "deleted the file";
  spawnSync("sync");
  fs.writeFileSync(host.path("/proc/sys/vm/drop_caches"), "3");
  await delay(settleMs);
  return "deleted the file, then sync; echo 3 > /proc/sys/vm/drop_caches";
}

export function renderRun(r: CostRun): string {
  const kib = (b: number, n: number): string => (b / n / 1024).toFixed(2);
  const lines = [
    `kernel ${r.kernel}, cgroup v${r.cgroup}, ${r.possibleCpus} possible CPUs, ${r.possibleNodes} possible nodes`,
  ];
  lines.push(`start: ${r.start.dying} dying (others'), memory.stat ${fmtMs(r.start.memstatMs)}`);
  for (const s of r.steps) {
    const d = s.delta;
    // on a shared machine other people's dying memcgs come and go: their memory is in the deltas too
    const drift = s.dying - r.start.dying - s.made;
    const mark =
      Math.abs(drift) > s.made * 0.01
        ? ` [NOT CLEAN: the kernel's dying count moved ${drift > 0 ? "+" : ""}${drift} besides ours]`
        : "";
    lines.push(
      `${s.made} made (kernel dying ${s.dying})${mark}: per memcg KiB Percpu ${kib(d.Percpu, s.made)} Slab ${kib(d.Slab, s.made)} SUnreclaim ${kib(d.SUnreclaim, s.made)} SReclaimable ${kib(d.SReclaimable, s.made)} VmallocUsed ${kib(d.VmallocUsed, s.made)} MemFree ${kib(-d.MemFree, s.made)} Cached ${kib(d.Cached, s.made)}; memory.stat ${fmtMs(s.memstatMs)} (first read right after: ${fmtMs(s.memstatFirstMs ?? null)})`,
    );
  }
  const f = r.freed.delta;
  lines.push(
    `freed (${r.freed.how}): kernel dying ${r.freed.dying}; left KiB Percpu ${(f.Percpu / 1024).toFixed(0)} SUnreclaim ${(f.SUnreclaim / 1024).toFixed(0)}; memory.stat ${fmtMs(r.freed.memstatMs)}`,
  );
  return lines.join("\n") + "\n";
}

function fmtMs(ms: number | null): string {
  return ms === null ? "n/a" : `${ms.toFixed(2)} ms`;
}
