import * as fs from "node:fs";
import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { dropCachesValue } from "./reclaim.js";
import type { LimitJournal } from "./reap-state.js";
import { writeKnobAsync, writeRepeated, type WriteResult } from "./reap-write.js";

const PAGE = 4096;

/** What one write did: the bytes asked for, and the kernel's refusal when there was one. */
export interface StepResult {
  asked: number;
  ok: boolean;
  error?: string;
  ms: number;
}

/** The file a step writes, for --dry-run and the report. */
export function describeStep(h: CgroupHierarchy, method: string, rel: string, bytes: number): string {
  const dir = `${h.mountPoint}/${rel}`;
  switch (method) {
    case "limit":
      return `lower ${dir}/memory.limit_in_bytes by ${bytes} bytes below its usage, then restore it`;
    case "force-empty":
      return `echo 0 > ${dir}/memory.force_empty`;
    case "memory-reclaim":
      return `echo ${RECLAIM_BATCH} > ${dir}/memory.reclaim, ${Math.max(1, Math.ceil(bytes / RECLAIM_BATCH))} times`;
    default:
      return `sync; echo ${dropCachesValue(h)} > /proc/sys/vm/drop_caches`;
  }
}

/**
 * v1: the limit lowered to usage - bytes and put back at once. The write returns once the kernel
 * has reclaimed enough from the subtree to fit (mem_cgroup_resize_max), in 32-page rounds that
 * visit every memcg below and scrape a dying memcg's last pages first (vmscan's get_scan_count:
 * an offline memcg too small to be scanned at this priority is scanned whole). The original is in
 * the journal before the limit moves, and restored in a finally.
 */
export async function limitStep(
  host: Host,
  h: CgroupHierarchy,
  rel: string,
  bytes: number,
  journal: LimitJournal,
  timeoutMs: number,
): Promise<StepResult> {
  const dir = host.path(`${h.mountPoint}/${rel}`);
  const file = `${dir}/memory.limit_in_bytes`;
  const original = fs.readFileSync(file, "utf8").trim();
  const usage = Number(fs.readFileSync(`${dir}/memory.usage_in_bytes`, "utf8").trim());
  const want = Math.floor((usage - bytes) / PAGE) * PAGE;
  if (want <= 0) return { asked: 0, ok: true, ms: 0 };
  journal.save({ file, original, pid: process.pid, at: new Date().toISOString() });
  let r: WriteResult | undefined;
  let restoreMs = 0;
  try {
    r = await writeKnobAsync(file, String(want), timeoutMs);
  } finally {
    const back = await writeKnobAsync(file, original, timeoutMs);
    if (!back.ok)
      throw new Error(
        `cannot restore ${file} to ${original}: ${back.error}; it stays in ${journal.file} for the next start`,
      );
    journal.forget(file);
    restoreMs = back.ms;
  }
  return result(usage - want, r === undefined ? r : { ...r, ms: r.ms + restoreMs });
}

export async function forceEmpty(host: Host, h: CgroupHierarchy, rel: string, timeoutMs: number): Promise<StepResult> {
  const dir = host.path(`${h.mountPoint}/${rel}`);
  const usage = Number(fs.readFileSync(`${dir}/memory.usage_in_bytes`, "utf8").trim());
  return result(usage, await writeKnobAsync(`${dir}/memory.force_empty`, "0", timeoutMs));
}

/**
 * What one round of v1 limit reclaim asks for: SWAP_CLUSTER_MAX, 32 pages. A bigger memory.reclaim
 * request lets reclaim drop to lower priorities, where a live memcg's LRU is scanned hard too: one
 * 18 MiB request evicted a live 16 MiB working set 3.6 times over on 6.1 (docs/reap.md).
 */
export const RECLAIM_BATCH = 32 * 4096;

/**
 * v2: memory.reclaim of the parent in 32-page writes, so each round is met from the dying memcgs'
 * last pages first, as the limit step's rounds are on v1. EAGAIN means the kernel could not
 * reclaim a batch (cgroup-v2.rst): nothing cheap is left, the step stops there.
 */
export async function memoryReclaim(
  host: Host,
  h: CgroupHierarchy,
  rel: string,
  bytes: number,
  timeoutMs: number,
): Promise<StepResult> {
  const times = Math.max(1, Math.ceil(bytes / RECLAIM_BATCH));
  const r = await writeRepeated(
    host.path(`${h.mountPoint}/${rel}/memory.reclaim`),
    String(RECLAIM_BATCH),
    times,
    timeoutMs,
  );
  // dash says "I/O error" whatever the errno; a refused batch is EAGAIN in practice
  return result(
    bytes,
    r.ok || r.error?.startsWith("timed out")
      ? r
      : { ...r, error: `memory.reclaim refused a batch (${r.error}): nothing more to reclaim cheaply` },
  );
}

/**
 * v2: a dying memcg whose page cache reclaim took can stay dying as the writeback owner of the
 * inodes it wrote. The kernel moves such inodes to a live owner (cleanup_offline_cgwbs in
 * mm/backing-dev.c, since 5.14) when some memcg goes offline, and not again until the next one:
 * in the lab, 81-244 of 1,000 stayed dying through five passes on 6.12. An empty child made and
 * removed at once is such an offline; it holds no task and no page, and is gone before the pass ends.
 */
export function kickOfflineCleanup(host: Host, h: CgroupHierarchy, rel: string): string | null {
  const dir = host.path(`${h.mountPoint}/${rel}/cgleak-reap-${process.pid}`);
  try {
    fs.mkdirSync(dir);
    fs.rmdirSync(dir);
    return null;
  } catch (err) {
    return `offline kick: ${(err as Error).message}`;
  }
}

export async function dropCaches(host: Host, h: CgroupHierarchy, timeoutMs: number): Promise<StepResult> {
  return result(0, await writeKnobAsync(host.path("/proc/sys/vm/drop_caches"), dropCachesValue(h), timeoutMs));
}

function result(asked: number, r: WriteResult | undefined): StepResult {
  if (r === undefined) return { asked, ok: false, error: "not written", ms: 0 };
  return r.ok ? { asked, ok: true, ms: r.ms } : { asked, ok: false, error: r.error ?? "failed", ms: r.ms };
}
