import { groupByWorkload, dyingBeforeTracing, type DyingCgroup } from "../analyze/dying-set.js";
import type { Attribution } from "../analyze/attribution.js";

export type Qos = "guaranteed" | "burstable" | "besteffort" | "none";
export type OwnerKind = "pod" | "system" | "other";

/**
 * The bounded label pair of cgleak_memcg_dying_cgroups_by_workload: 4 QoS values x 3 owner kinds,
 * so at most 12 series whatever the pod churn (a pod UID or a path would be one series per pod).
 */
export function workloadLabels(a: Attribution): { qos: Qos; owner_kind: OwnerKind } {
  const pod = a.podUid !== undefined || a.qos !== undefined || a.workload.startsWith("kubepods");
  const system = !pod && (a.systemdUnit !== undefined || /\.(slice|scope)$/.test(a.topLevel));
  return { qos: a.qos ?? "none", owner_kind: pod ? "pod" : system ? "system" : "other" };
}

export function countByWorkload(cgroups: DyingCgroup[]): Array<{ qos: Qos; owner_kind: OwnerKind; count: number }> {
  const labelPair = (a: Attribution): string => Object.values(workloadLabels(a)).join("/");
  return groupByWorkload(cgroups, 0, labelPair).map((g) => ({ ...workloadLabels(g.attribution), count: g.count }));
}

/** The leak rate is fitted over at most this much of the tracing time: recent behaviour matters. */
export const RATE_WINDOW_MS = 6 * 3_600_000;
/** Below this much tracing a per-hour rate is one or two removals scaled up: none is given. */
export const MIN_RATE_WINDOW_MS = 5 * 60_000;
export const TOP_OFFENDERS = 10;
const SHOWN_PATHS = 20;

export interface DyingDocInput {
  cgroups: DyingCgroup[];
  nowMs: number;
  /** When this boot's tracing began (kept across daemon restarts). */
  sinceMs: number;
  hierarchy: number;
  kernelDying: number | null;
  releasedUnnamed: number;
  lostEvents: number;
  lastLossAt: number | null;
  unconfirmed: number;
}

/**
 * /api/dying: the named dying memcgs by workload, with ages and each workload's leak rate: the
 * memcgs it left dying per hour over the window (those released since do not count: not a leak).
 */
export function dyingDoc(i: DyingDocInput): unknown {
  const windowMs = Math.max(1000, Math.min(RATE_WINDOW_MS, i.nowMs - i.sinceMs));
  const rated = windowMs >= MIN_RATE_WINDOW_MS;
  const s = (ms: number): number => Math.round(ms / 100) / 10;
  const groups = groupByWorkload(i.cgroups, i.nowMs).map((g) => {
    const recent = g.cgroups.filter((c) => c.rmdirAt >= i.nowMs - windowMs).length;
    return {
      workload: g.workload,
      ...workloadLabels(g.attribution),
      attribution: g.attribution,
      count: g.count,
      oldestAgeSeconds: s(g.oldestAgeMs),
      newestAgeSeconds: s(g.newestAgeMs),
      leftDyingInWindow: recent,
      leakRatePerHour: rated ? round3(recent / (windowMs / 3_600_000)) : null,
      cgroups: g.cgroups
        .slice(-SHOWN_PATHS)
        .map((c) => ({ id: c.id, path: c.path, ageSeconds: s(i.nowMs - c.rmdirAt) })),
    };
  });
  // Ranked by what each workload left dying in the window; the rate is that count per hour.
  const top = groups
    .filter((g) => g.leftDyingInWindow > 0)
    .sort((a, b) => b.leftDyingInWindow - a.leftDyingInWindow)
    .slice(0, TOP_OFFENDERS);
  return {
    schema: "cgleak.dying/v1",
    time: new Date(i.nowMs).toISOString(),
    tracingSince: new Date(i.sinceMs).toISOString(),
    hierarchy: i.hierarchy,
    named: i.cgroups.length,
    kernelDying: i.kernelDying,
    dyingSinceBeforeTracing: i.kernelDying === null ? null : dyingBeforeTracing(i.kernelDying, i.cgroups.length),
    releasedUnnamed: i.releasedUnnamed,
    lostEvents: i.lostEvents,
    lastLossAt: i.lastLossAt === null ? null : new Date(i.lastLossAt).toISOString(),
    unconfirmed: i.unconfirmed,
    rateWindowSeconds: s(windowMs),
    topOffenders: top.map((g) => ({
      workload: g.workload,
      qos: g.qos,
      owner_kind: g.owner_kind,
      leftDyingInWindow: g.leftDyingInWindow,
      leakRatePerHour: g.leakRatePerHour,
      count: g.count,
    })),
    groups,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
