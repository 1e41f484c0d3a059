import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import type { Scratch } from "./scratch.js";
import { settledDying, yieldToSignals } from "./dying.js";
import { Progress } from "./progress.js";
import { runInside, pinnedBytes, verdictOf } from "./repro.js";
import { rmdirRetry } from "./rmdir.js";
import { dropCachesValue } from "./reclaim.js";
import { writeKnob } from "./knob.js";

export type PinMode = "page-cache" | "shmem";
/**
 * drop-caches is what `cgleak reclaim --drop-caches` writes (v1: 1, v2: 3). drop-page-cache is
 * `sync; echo 1` on v2, where dropping the pages alone leaves the memcgs (src/lab/actions-v2.lab.test.ts);
 * on v1 it would repeat drop-caches.
 */
export const RELEASE_ACTIONS = [
  "delete-files",
  "drop-page-cache",
  "drop-caches",
  "force-empty-before-rmdir",
  "force-empty-parent",
  "memory-reclaim",
] as const;
export type ReleaseName = (typeof RELEASE_ACTIONS)[number];

export type Effect =
  "frees them" | "prevents the leak" | "frees none" | "frees some" | "nothing leaked" | "not applicable";

/** Thresholds as verdictOf: the v1 count is kernel-wide, only clear majorities decide. */
export function effectOf(action: ReleaseName, leaked: number, freed: number, n: number): Effect {
  if (action === "force-empty-before-rmdir")
    return freed >= n * 0.8 ? "prevents the leak" : freed <= n * 0.5 ? "frees none" : "frees some";
  if (verdictOf(leaked, n) !== "leaks") return "nothing leaked";
  const v = verdictOf(freed, leaked);
  return v === "leaks" ? "frees them" : v === "does not leak" ? "frees none" : "frees some";
}

export interface ActionOutcome {
  action: ReleaseName;
  /** False where the cgroup version has no such knob: force_empty is v1, memory.reclaim v2. */
  applicable: boolean;
  leaked: number;
  /** Of the leaked, how many the action freed (force-empty-before-rmdir: how many it prevented). */
  freed: number;
  effect: Effect;
  pinnedBefore: number | null;
  pinnedAfter: number | null;
  note: string;
  seconds: number;
}

export interface PinReport {
  mode: PinMode;
  n: number;
  bytesPerMemcg: number;
  filesOn: string;
  outcomes: ActionOutcome[];
}

/**
 * For each release action, a fresh batch of N memcgs whose shell wrote a file from inside
 * (ext4 under the temp dir, or a private tmpfs), rmdir'd; then the action, and how many of the
 * batch it freed. Each batch deletes its files afterwards so the next starts clean.
 */
export async function reproPin(
  s: Scratch,
  mode: PinMode,
  n: number,
  actions: readonly ReleaseName[] = RELEASE_ACTIONS,
  bytes = 65536,
): Promise<PinReport> {
  const base = mode === "shmem" ? s.mountTmpfs("shm") : s.tmp;
  const outcomes: ActionOutcome[] = [];
  for (const a of actions) outcomes.push(await runBatch(s, mode, a, n, `${base}/${a}`, bytes));
  return {
    mode,
    n,
    bytesPerMemcg: bytes,
    filesOn: mode === "shmem" ? `a private tmpfs at ${base}` : `${base} (disk)`,
    outcomes,
  };
}

/**
 * The kernel flushes memcg stats every 2 s and, on a read, only past a threshold of pending
 * updates (64 pages per CPU): memory.stat read sooner after the writes was 64-128 KiB short on
 * 6.12 (src/lab/actions-v2.lab.test.ts). Pinned bytes are read only this long after the last change.
 */
const STATS_FLUSH_MS = 2100;

function applicable(s: Scratch, a: ReleaseName): boolean {
  if (a === "force-empty-before-rmdir" || a === "force-empty-parent") return s.h.version === 1;
  if (a === "memory-reclaim" || a === "drop-page-cache") return s.h.version === 2;
  return true;
}

async function runBatch(
  s: Scratch,
  mode: PinMode,
  action: ReleaseName,
  n: number,
  files: string,
  bytes: number,
): Promise<ActionOutcome> {
  const none = {
    action,
    applicable: false,
    leaked: 0,
    freed: 0,
    effect: "not applicable" as Effect,
    pinnedBefore: null,
    pinnedAfter: null,
    seconds: 0,
  };
  if (!applicable(s, action))
    return {
      ...none,
      note: action === "drop-page-cache" ? "same as drop-caches on cgroup v1" : `not on cgroup v${s.h.version}`,
    };
  const rel = `${s.rel}/a-${action}`;
  const parent = s.mkdir(`a-${action}`);
  s.enableChildren(parent);
  fs.mkdirSync(files);
  const countRel = s.h.version === 2 ? rel : "";
  // the previous batch's deleted files free its memcgs asynchronously: let that finish first
  const start = await settledDying(s.host, s.h, countRel, 600);
  const bar = new Progress(`${mode} ${action}`, n);
  let note = "";
  for (let i = 1; i <= n; i++) {
    const dir = `${parent}/c${i}`;
    fs.mkdirSync(dir);
    runInside(dir, `head -c ${bytes} /dev/zero > "$2"`, `${files}/f${i}`);
    if (action === "force-empty-before-rmdir") note = writeKnob(`${dir}/memory.force_empty`, "0") ?? note;
    rmdirRetry(dir);
    bar.tick(i);
    await yieldToSignals();
  }
  bar.end();
  const leakedAt = await settledDying(s.host, s.h, countRel, STATS_FLUSH_MS);
  const pinnedBefore = pinnedBytes(s, rel);
  const t0 = process.hrtime.bigint();
  note = applyAction(s, action, parent, files, pinnedBefore) ?? note;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after =
    action === "force-empty-before-rmdir" ? leakedAt : await settledDying(s.host, s.h, countRel, STATS_FLUSH_MS);
  const pinnedAfter = pinnedBytes(s, rel);
  fs.rmSync(files, { recursive: true, force: true });
  const leaked = Math.min(n, Math.max(0, leakedAt - start)); // more than n is background churn
  // force_empty before rmdir prevents rather than frees: count the memcgs that did not leak
  const freed =
    action === "force-empty-before-rmdir" ? n - Math.min(n, leaked) : Math.max(0, leaked - Math.max(0, after - start));
  return {
    action,
    applicable: true,
    leaked,
    freed,
    effect: effectOf(action, leaked, freed, n),
    pinnedBefore,
    pinnedAfter,
    note,
    seconds,
  };
}

/** The action under test. Returns a note when the kernel refused part of it. */
function applyAction(
  s: Scratch,
  action: ReleaseName,
  parent: string,
  files: string,
  pinned: number | null,
): string | undefined {
  switch (action) {
    case "delete-files":
      fs.rmSync(files, { recursive: true, force: true });
      return undefined;
    case "drop-page-cache":
    case "drop-caches": {
      // The note names the value: on v2, 1 and 3 differ in what they free.
      const value = action === "drop-caches" ? dropCachesValue(s.h) : "1";
      spawnSync("sync");
      const refused = writeKnob(s.host.path("/proc/sys/vm/drop_caches"), value);
      return `sync; echo ${value} > /proc/sys/vm/drop_caches${refused ? `: ${refused}` : ""}`;
    }
    case "force-empty-parent":
      return writeKnob(`${parent}/memory.force_empty`, "0");
    case "memory-reclaim": {
      // All the parent holds (it has no live child): asking for just the pinned pages can stop
      // after one pass that leaves a memcg or two on 6.1; more passes also evict their inodes.
      const held = Number(fs.readFileSync(`${parent}/memory.current`, "utf8"));
      return writeKnob(`${parent}/memory.reclaim`, String(Math.max(4096, held || pinned || 1 << 30)));
    }
    case "force-empty-before-rmdir":
      return undefined; // applied to each memcg before its rmdir
  }
}
