import type { CgroupTraceEvent } from "../parsers/trace-event.js";
import { attribute, type Attribution } from "./attribution.js";

/** A cgroup seen removed (cgroup_rmdir) and not yet freed (cgroup_release): a dying cgroup, by definition. */
export interface DyingCgroup {
  root: number;
  id: number;
  level: number;
  path: string;
  /** Wall-clock ms of its cgroup_rmdir. */
  rmdirAt: number;
  /** Wall-clock ms of its cgroup_mkdir, when tracing saw it. */
  createdAt?: number;
}

export type SetChange =
  | { type: "dying"; cgroup: DyingCgroup }
  | { type: "released"; cgroup: DyingCgroup; lifetimeMs: number }
  /** Freed, but removed before tracing began: one fewer "dying since before tracing". */
  | { type: "released-unnamed"; root: number; id: number; path: string };

/**
 * The dying cgroups of one hierarchy (`root` as the tracepoints print it: /proc/cgroups column 2
 * on v1, 0 for cgroup2), fed by cgroup tracepoint events. Cgroups already dying when tracing
 * began are never invented: they are only counted as they get released.
 */
export class DyingSet {
  private readonly dying = new Map<string, DyingCgroup>();
  private readonly created = new Map<string, number>();
  releasedUnnamed = 0;
  lostEvents = 0;
  /** When events were last lost: names removed before then may have been released unseen. */
  lastLossAt: number | null = null;

  constructor(readonly root: number) {}

  apply(ev: CgroupTraceEvent, atMs: number): SetChange | undefined {
    if (ev.root !== this.root) return undefined;
    const key = `${ev.root}/${ev.id}`;
    if (ev.event === "cgroup_mkdir") {
      this.created.set(key, atMs);
      return undefined;
    }
    if (ev.event === "cgroup_rmdir") {
      const cgroup: DyingCgroup = { root: ev.root, id: ev.id, level: ev.level, path: ev.path, rmdirAt: atMs };
      const createdAt = this.created.get(key);
      if (createdAt !== undefined) cgroup.createdAt = createdAt;
      this.created.delete(key);
      this.dying.set(key, cgroup);
      return { type: "dying", cgroup };
    }
    const cgroup = this.dying.get(key);
    this.created.delete(key); // a release without rmdir: the hierarchy itself was destroyed
    if (cgroup === undefined) {
      this.releasedUnnamed++;
      return { type: "released-unnamed", root: ev.root, id: ev.id, path: ev.path };
    }
    this.dying.delete(key);
    return { type: "released", cgroup, lifetimeMs: Math.max(0, atMs - cgroup.rmdirAt) };
  }

  /** Events the kernel overwrote before they were read: the named set may miss or keep some. */
  markLost(count: number, atMs: number): void {
    this.lostEvents += count;
    this.lastLossAt = atMs;
  }

  get size(): number {
    return this.dying.size;
  }

  /** The named dying cgroups, oldest removal first. */
  list(): DyingCgroup[] {
    return [...this.dying.values()].sort((a, b) => a.rmdirAt - b.rmdirAt);
  }
}

export interface WorkloadGroup {
  workload: string;
  attribution: Attribution;
  count: number;
  oldestAgeMs: number;
  newestAgeMs: number;
  cgroups: DyingCgroup[];
}

/**
 * Groups dying cgroups by workload, most first (then oldest first): by the workload the path names,
 * or by the name `nameOf` gives its attribution (a pod's owner, a metric's label pair). The one
 * grouping of dying memcgs by workload: the trace, /api/dying, its metric and the finding use it.
 */
export function groupByWorkload(
  cgroups: DyingCgroup[],
  nowMs: number,
  nameOf = (a: Attribution): string => a.workload,
): WorkloadGroup[] {
  const groups = new Map<string, WorkloadGroup>();
  for (const c of cgroups) {
    const a = attribute(c.path);
    const age = Math.max(0, nowMs - c.rmdirAt);
    const name = nameOf(a);
    const g = groups.get(name);
    if (g === undefined) {
      groups.set(name, { workload: name, attribution: a, count: 1, oldestAgeMs: age, newestAgeMs: age, cgroups: [c] });
      continue;
    }
    g.count++;
    g.oldestAgeMs = Math.max(g.oldestAgeMs, age);
    g.newestAgeMs = Math.min(g.newestAgeMs, age);
    g.cgroups.push(c);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || b.oldestAgeMs - a.oldestAgeMs);
}

/**
 * "Dying since before tracing": the kernel's dying count (total − live, read by whoever has the
 * counts) minus the named ones. Null when lost events make the named set unreliable and it
 * outnumbers the kernel's count.
 */
export function dyingBeforeTracing(kernelDying: number, named: number): number | null {
  const rest = kernelDying - named;
  return rest >= 0 ? rest : null;
}
