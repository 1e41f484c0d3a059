import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import type { Host } from "../host/host.js";
import { toReadError } from "../host/kernel-file.js";
import { HostWriteError } from "../host/errors.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { collectMemcg } from "../collect/memcg.js";
import { readSubtreeCharges } from "../collect/charges.js";
import { dyingCount } from "./dying.js";
import { sleepMs } from "./rmdir.js";
import { writeKnob } from "./knob.js";
import { inCgroupDir, TargetRefused } from "./target.js";
import { walkCgroupDirs } from "../host/walk.js";
import { parseMemoryStat } from "../parsers/memory-stat.js";

export type ReclaimAction =
  | { kind: "drop-caches" }
  | { kind: "force-empty"; rel: string }
  | { kind: "memory-reclaim"; rel: string; bytes: number };

export interface Measure {
  dying: number;
  /** Page cache held by dying memcgs (under `rel`, or node-wide), null when unreadable. */
  pinnedBytes: number | null;
}

export interface ReclaimReport {
  action: string;
  scope: string;
  before: Measure;
  after: Measure;
  seconds: number;
  note: string;
}

/** The dying count (v1: kernel-wide) and the pages dying memcgs pin, below `rel` or node-wide. */
export function measure(host: Host, h: CgroupHierarchy, rel?: string): Measure {
  if (rel === undefined) {
    const m = collectMemcg(host, h, {
      perMemcg: { empty: false, kmem: false, upTo: 0 },
      now: Date.now(),
      emptyMinAgeMs: 0,
    });
    // top-level entries already include the kubepods QoS children's figures
    const tops = m.subtrees.filter((s) => s.path === "/" || !s.path.includes("/"));
    const pinned = tops.some((s) => s.pinnedBytes === null) ? null : tops.reduce((a, s) => a + (s.pinnedBytes ?? 0), 0);
    return { dying: m.dying, pinnedBytes: pinned };
  }
  const live = liveChildren(host, h, rel);
  return {
    dying: dyingCount(host, h, h.version === 2 ? rel : ""),
    pinnedBytes: readSubtreeCharges(host, h, rel, live),
  };
}

function liveChildren(host: Host, h: CgroupHierarchy, rel: string): string[] {
  const dir = host.path(`${h.mountPoint}/${rel}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `${rel}/${e.name}`);
}

/**
 * What drop_caches value frees dying memcgs. v1: 1 (page cache, ext4 metadata buffers; 2 frees
 * none, docs/lab-results.md §1). v2: 3, because there dropping pages is not enough - an inode written
 * from a memcg keeps it alive until the inode itself is evicted (2), which happens only once it
 * is clean (sync) and holds no pages (1). src/lab/actions-v2.lab.test.ts: sync + 1 freed 0 of 10,
 * sync + 3 freed 10 of 10 on 6.1 and 6.12.
 */
export function dropCachesValue(h: CgroupHierarchy): "1" | "3" {
  return h.version === 1 ? "1" : "3";
}

/** Runs one action and measures before and after, once asynchronous freeing has settled. */
export function reclaim(host: Host, h: CgroupHierarchy, a: ReclaimAction): ReclaimReport {
  const rel = a.kind === "drop-caches" ? undefined : a.rel;
  const before = measure(host, h, rel);
  const t0 = process.hrtime.bigint();
  const note = applyOrSay(host, h, a) ?? "";
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let after = measure(host, h, rel);
  for (let waited = 0; waited < 3000 && after.dying > 0; waited += 500) {
    sleepMs(500); // dying memcgs are freed by a worker, within a second here
    const next = measure(host, h, rel);
    if (next.dying >= after.dying && waited >= 1000) break;
    after = next;
  }
  return {
    action: describe(h, a),
    scope: rel === undefined ? "node" : `${h.mountPoint}/${rel}`,
    before,
    after,
    seconds,
    note,
  };
}

function applyOrSay(host: Host, h: CgroupHierarchy, a: ReclaimAction): string | undefined {
  try {
    return apply(host, h, a);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof TargetRefused || typeof e.code !== "string") throw err;
    const file =
      a.kind === "drop-caches"
        ? "/proc/sys/vm/drop_caches"
        : `${h.mountPoint}/${a.rel}/${a.kind === "force-empty" ? "memory.force_empty" : "memory.reclaim"}`;
    throw new HostWriteError(file, e.code, toReadError(file, err).detail);
  }
}

function apply(host: Host, h: CgroupHierarchy, a: ReclaimAction): string | undefined {
  switch (a.kind) {
    case "drop-caches":
      spawnSync("sync"); // dirty pages cannot be dropped (docs/lab-results.md §1: no sync, 0 freed)
      return writeKnob(host.path("/proc/sys/vm/drop_caches"), dropCachesValue(h));
    case "force-empty":
      return inCgroupDir(host, `${h.mountPoint}/${a.rel}`, () => writeKnob("memory.force_empty", "0"));
    case "memory-reclaim":
      return inCgroupDir(host, `${h.mountPoint}/${a.rel}`, () => writeKnob("memory.reclaim", String(a.bytes)));
  }
}

function describe(h: CgroupHierarchy, a: ReclaimAction): string {
  if (a.kind === "drop-caches") return `sync; echo ${dropCachesValue(h)} > /proc/sys/vm/drop_caches`;
  if (a.kind === "force-empty") return `echo 0 > ${h.mountPoint}/${a.rel}/memory.force_empty`;
  return `echo ${a.bytes} > ${h.mountPoint}/${a.rel}/memory.reclaim`;
}

/** What emptying a cgroup takes away: its subtree's processes lose their page cache, re-read from disk. */
export interface Eviction {
  processes: number;
  cgroups: number;
  /** Page cache charged to the subtree (v1 total_cache, v2 file); null when unreadable. */
  cacheBytes: number | null;
  /** Anonymous memory (v1 total_rss, v2 anon): swapped out where there is swap, else kept. */
  anonBytes: number | null;
}

export function eviction(host: Host, h: CgroupHierarchy, rel: string): Eviction {
  let processes = 0;
  let cgroups = 0;
  walkCgroupDirs(host.path(`${h.mountPoint}/${rel}`), (e) => {
    cgroups++;
    const procs = host.readTextIfExists(`${h.mountPoint}/${rel}${e.rel === "" ? "" : `/${e.rel}`}/cgroup.procs`) ?? "";
    processes += procs.split("\n").filter((l) => l.trim() !== "").length;
  });
  const file = `${h.mountPoint}/${rel}/memory.stat`;
  const text = host.readTextIfExists(file);
  const stat = text === undefined ? undefined : parseMemoryStat(text, file);
  const get = (k: string): number | null => stat?.get(k) ?? null;
  return {
    processes,
    cgroups,
    cacheBytes: get(h.version === 1 ? "total_cache" : "file"),
    anonBytes: get(h.version === 1 ? "total_rss" : "anon"),
  };
}
