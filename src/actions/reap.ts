import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { readKernelTotal } from "../collect/kernel-total.js";
import { dyingCount, settledDying } from "./dying.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import { resolveMethod, type ReapPolicy } from "./reap-policy.js";
import { findTargets, remeasure, type ReapTarget } from "./reap-targets.js";
import { pressureVeto, readPressure, UNRECLAIMABLE, type PressureNow } from "./reap-guards.js";
import { describeStep, dropCaches, forceEmpty, limitStep, memoryReclaim, type StepResult } from "./reap-apply.js";
import { kickOfflineCleanup } from "./reap-apply.js";
import { syncWithTimeout } from "./reap-write.js";
import type { LimitJournal } from "./reap-state.js";
import { nodeCachedBytes, summarize, type ParentResult, type PassReport, type Unreclaimable } from "./reap-report.js";

export interface ReapContext {
  host: Host;
  h: CgroupHierarchy;
  policy: ReapPolicy;
  journal: LimitJournal;
  dryRun: boolean;
  /** Kernel facts (src/knowledge): dying memcgs hold IDs; kmem-accounted memcgs never free (3.10). */
  dyingHoldIds: boolean;
  kmemLeak: boolean;
  /** Parents whose last reclaim freed nothing, with the pins they had then: not retried until those change. */
  stuck: Map<string, number>;
  /** How long after the pass freeing settles and refaults are counted. */
  observeMs: number;
  /** Only parents at or below this cgroup ("" the whole hierarchy): e.g. kubepods, or a test's scratch tree. */
  under: string;
}

/** One pass: guards, targets, bounded reclaim where the dying memcgs are, and what it cost. */
export async function reapPass(c: ReapContext): Promise<PassReport> {
  const t0 = Date.now();
  const method = resolveMethod(c.policy.method, c.h.version);
  const pressure = readPressure(c.host);
  const dyingBefore = Math.max(0, dyingCount(c.host, c.h));
  const targets = findTargets(c.host, c.h, c.policy.minParentBytes, c.under);
  const unreclaimable = unreclaimableOf(c, targets, dyingBefore);
  const base = { method, dryRun: c.dryRun, pressure, dyingBefore, targets, unreclaimable, t0 };
  const veto = pressureVeto(pressure, c.policy);
  if (veto !== null) return summarize(c, { ...base, verdict: "vetoed", reason: veto });
  const over = overTarget(c, dyingBefore, targets);
  if (over === null)
    return summarize(c, {
      ...base,
      verdict: "on-target",
      reason: "dying memcgs and their pins are within the policy's targets",
    });
  const todo = actionable(c, targets, method);
  if (todo.length === 0)
    return summarize(c, {
      ...base,
      verdict: "nothing-to-do",
      reason: `${over}, but no parent has pins reclaim can free (see unreclaimable)`,
    });
  if (c.dryRun)
    return summarize(c, { ...base, verdict: "dry-run", reason: over, parents: todo.map((t) => plan(c, t, method)) });
  const cachedBefore = nodeCachedBytes(c.host);
  const sync = await syncWithTimeout(c.policy.writeTimeoutMs);
  const parents = await reclaimAll(c, todo, method);
  if (method === "memory-reclaim") {
    for (const p of parents) if (p.steps.length > 0) p.note ||= kickOfflineCleanup(c.host, c.h, p.rel) ?? "";
  }
  // Right after the writes, before a live workload has re-read what it lost: the eviction itself.
  const cachedAfter = nodeCachedBytes(c.host);
  for (const p of parents) p.afterWrites = remeasure(c.host, c.h, p.rel);
  const dyingAfter = Math.max(0, await settledDying(c.host, c.h, "", c.observeMs));
  for (const p of parents) finish(c, p);
  const note = sync.ok ? "" : `sync: ${sync.error}`;
  return summarize(c, {
    ...base,
    verdict: "acted",
    reason: over,
    parents,
    dyingAfter,
    cachedBefore,
    cachedAfter,
    syncMs: sync.ms,
    note,
  });
}

/** Null when on target, else which target is exceeded. */
function overTarget(c: ReapContext, dying: number, targets: ReapTarget[]): string | null {
  const p = c.policy;
  const pinned = targets.reduce((a, t) => a + t.pinnedBytes - t.shmemBytes, 0);
  if (dying > p.targetDying) return `${dying} dying memcgs > target ${p.targetDying}`;
  if (pinned > p.targetPinnedBytes) return `${pinned} reclaimable bytes pinned > target ${p.targetPinnedBytes}`;
  if (c.dyingHoldIds && c.h.version === 1) {
    const share = readKernelTotal(c.host, c.h).total / MEMCG_ID_CAP;
    if (share > p.targetIdShare)
      return `IDs in use ${(share * 100).toFixed(1)} % of the cap > target ${(p.targetIdShare * 100).toFixed(0)} % (dying memcgs hold IDs on this kernel)`;
  }
  return null;
}

function actionable(c: ReapContext, targets: ReapTarget[], method: string): ReapTarget[] {
  if (method === "drop-caches") return targets; // one global write, measured on every parent
  return targets.filter((t) => {
    if (t.rel === "") return false;
    if (t.pinnedBytes - t.shmemBytes < c.policy.minParentBytes) return false;
    const was = c.stuck.get(t.rel);
    return was === undefined || Math.abs(was - t.pinnedBytes) >= c.policy.minParentBytes;
  });
}

function unreclaimableOf(c: ReapContext, targets: ReapTarget[], dying: number): Unreclaimable[] {
  const out: Unreclaimable[] = [];
  for (const t of targets) {
    if (t.shmemBytes > 0) out.push({ path: pathOf(c, t.rel), bytes: t.shmemBytes, reason: UNRECLAIMABLE.shmem });
    if (t.rel === "" && t.pinnedBytes > t.shmemBytes)
      out.push({ path: c.h.mountPoint, bytes: t.pinnedBytes - t.shmemBytes, reason: UNRECLAIMABLE.root });
    const was = c.stuck.get(t.rel);
    if (was !== undefined && Math.abs(was - t.pinnedBytes) < c.policy.minParentBytes)
      out.push({
        path: pathOf(c, t.rel),
        bytes: t.pinnedBytes,
        reason: "the last pass freed nothing here: not retried until its pins change",
      });
  }
  if (c.kmemLeak && dying > 0) out.push({ path: c.h.mountPoint, bytes: null, reason: UNRECLAIMABLE.kmem });
  return out;
}

function plan(c: ReapContext, t: ReapTarget, method: string): ParentResult {
  const bytes = Math.min(c.policy.stepBytes, t.pinnedBytes - t.shmemBytes);
  return { ...start(c, t), steps: [], note: `would ${describeStep(c.h, method, t.rel, bytes)}` };
}

function start(c: ReapContext, t: ReapTarget): ParentResult {
  return {
    rel: t.rel,
    path: pathOf(c, t.rel),
    before: t,
    afterWrites: null,
    after: null,
    asked: 0,
    steps: [],
    note: "",
  };
}

async function reclaimAll(c: ReapContext, todo: ReapTarget[], method: string): Promise<ParentResult[]> {
  if (method === "drop-caches") {
    const all = todo.map((t) => start(c, t));
    const s = await dropCaches(c.host, c.h, c.policy.writeTimeoutMs);
    all[0]?.steps.push(s);
    if (!s.ok && all[0]) all[0].note = s.error ?? "";
    return all;
  }
  let budget = c.policy.budgetBytes;
  const out: ParentResult[] = [];
  for (const t of todo) {
    const r = start(c, t);
    out.push(r);
    if (budget <= 0) {
      r.note = "budget spent: next pass";
      continue;
    }
    budget -= await reclaimOne(c, t, method, r, budget);
  }
  return out;
}

/** Bounded steps on one parent until its reclaimable pins are gone, the budget is spent, or a step frees none. */
async function reclaimOne(
  c: ReapContext,
  t: ReapTarget,
  method: string,
  r: ParentResult,
  budget: number,
): Promise<number> {
  let spent = 0;
  let now: ReapTarget | null = t;
  while (now !== null && now.pinnedBytes - now.shmemBytes >= c.policy.minParentBytes && spent < budget) {
    const bytes = Math.min(c.policy.stepBytes, budget - spent, now.pinnedBytes - now.shmemBytes);
    const s = await step(c, t.rel, method, bytes);
    r.steps.push(s);
    spent += Math.max(s.asked, bytes);
    const next = remeasure(c.host, c.h, t.rel);
    const freed = next !== null && now.pinnedBytes - next.pinnedBytes >= 4096;
    now = next;
    if (!s.ok) r.note = s.error ?? "";
    if (!s.ok || !freed || method === "force-empty") break;
    const veto = pressureVeto(readPressure(c.host), c.policy);
    if (veto !== null) {
      r.note = `stopped: ${veto}`;
      break;
    }
  }
  r.asked = spent;
  return spent;
}

function step(c: ReapContext, rel: string, method: string, bytes: number): Promise<StepResult> {
  const timeout = c.policy.writeTimeoutMs;
  switch (method) {
    case "limit":
      return limitStep(c.host, c.h, rel, bytes, c.journal, timeout);
    case "force-empty":
      return forceEmpty(c.host, c.h, rel, timeout);
    case "memory-reclaim":
      return memoryReclaim(c.host, c.h, rel, bytes, timeout);
    default:
      throw new Error(`no per-parent step for ${method}`);
  }
}

/** After freeing settled: the parent's figures again, and whether it goes on the stuck list. */
function finish(c: ReapContext, p: ParentResult): void {
  p.after = remeasure(c.host, c.h, p.rel);
  const freed = p.after === null ? p.before.pinnedBytes : p.before.pinnedBytes - p.after.pinnedBytes;
  if (p.steps.length > 0 && freed < 4096 && p.after !== null) c.stuck.set(p.rel, p.after.pinnedBytes);
  else c.stuck.delete(p.rel);
}

function pathOf(c: ReapContext, rel: string): string {
  return rel === "" ? c.h.mountPoint : `${c.h.mountPoint}/${rel}`;
}

export type { PressureNow };
