import { groupByWorkload, dyingBeforeTracing, type DyingSet } from "../analyze/dying-set.js";
import type { Attribution } from "../analyze/attribution.js";
import { formatAge } from "../analyze/format.js";
import { workloadOf } from "../analyze/findings/dying-workloads.js";
import type { PodName, PodSource } from "../kube/pod-cache.js";

/** What `cgleak trace` prints at each interval (the JSON form is this object, one per line). */
export interface TraceReport {
  time: string;
  tracingSeconds: number;
  /** Hierarchy id of the memory controller as tracepoints print it (0: cgroup2). */
  hierarchy: number;
  named: number;
  /** Kernel dying count (total − live), when it could be read. */
  kernelDying: number | null;
  /** kernelDying − named: removed before tracing began, so unnamed. Null when unknown. */
  dyingBeforeTracing: number | null;
  /** Cgroups removed before tracing began and released since. */
  releasedUnnamed: number;
  lostEvents: number;
  /** When events were last lost (ISO time): names removed before then may already be released. */
  lastLossAt: string | null;
  /** Where pod names come from (--kube), or why the pods are named from their paths only. */
  podNames: string;
  groups: Array<
    Attribution & {
      pod?: PodName;
      count: number;
      oldestAgeSeconds: number;
      newestAgeSeconds: number;
      cgroups: Array<{ id: number; path: string; ageSeconds: number }>;
    }
  >;
}

export function traceReport(
  set: DyingSet,
  startedAt: number,
  now: number,
  kernelDying: number | null,
  pods: PodSource | null = null,
): TraceReport {
  const named = set.size;
  const s = (ms: number): number => Math.round(ms / 100) / 10;
  const podOf = (a: Attribution): PodName | undefined =>
    a.podUid === undefined ? undefined : pods?.names.get(a.podUid);
  return {
    time: new Date(now).toISOString(),
    tracingSeconds: s(now - startedAt),
    hierarchy: set.root,
    named,
    kernelDying,
    dyingBeforeTracing: kernelDying === null ? null : dyingBeforeTracing(kernelDying, named),
    releasedUnnamed: set.releasedUnnamed,
    lostEvents: set.lostEvents,
    lastLossAt: set.lastLossAt === null ? null : new Date(set.lastLossAt).toISOString(),
    podNames: podNamesNote(pods),
    // Pods named to the same owner (a Deployment's or a Job's many pods) are one group.
    groups: groupByWorkload(set.list(), now, (a) => ownerOrPath(a, podOf(a))).map((g) => {
      const pod = podOf(g.attribution);
      return {
        ...g.attribution,
        ...(pod ? { pod, workload: workloadOf(g.attribution, pod).workload } : {}),
        count: g.count,
        oldestAgeSeconds: s(g.oldestAgeMs),
        newestAgeSeconds: s(g.newestAgeMs),
        cgroups: g.cgroups.map((c) => ({ id: c.id, path: c.path, ageSeconds: s(now - c.rmdirAt) })),
      };
    }),
  };
}

function ownerOrPath(a: Attribution, pod: PodName | undefined): string {
  return pod ? workloadOf(a, pod).workload : a.workload;
}

const SHOWN_PER_GROUP = 5;

export function renderTraceText(r: TraceReport): string {
  const before = r.dyingBeforeTracing === null ? "unknown" : String(r.dyingBeforeTracing);
  const lines = [
    `${r.time}  tracing for ${formatAge(r.tracingSeconds)}, memory hierarchy ${r.hierarchy}${r.hierarchy === 0 ? " (cgroup2)" : ""}`,
    `dying memcgs named: ${r.named}   dying since before tracing: ${before}   of those released since: ${r.releasedUnnamed}`,
    r.podNames,
  ];
  if (r.lostEvents > 0) {
    lines.push(
      `WARNING: the kernel dropped ${r.lostEvents} trace events (buffer overflow), last at ${r.lastLossAt}: some dying memcgs are unnamed, names removed before then may be released`,
    );
  }
  if (r.groups.length > 0)
    lines.push(`${"WORKLOAD".padEnd(60)} ${"DYING".padStart(6)}  ${"OLDEST".padStart(8)}  ${"NEWEST".padStart(8)}`);
  for (const g of r.groups) {
    lines.push(
      `${g.workload.padEnd(60)} ${String(g.count).padStart(6)}  ${formatAge(g.oldestAgeSeconds).padStart(8)}  ${formatAge(g.newestAgeSeconds).padStart(8)}`,
    );
    for (const c of g.cgroups.slice(0, SHOWN_PER_GROUP))
      lines.push(`  ${c.path}  (id ${c.id}, dying ${formatAge(c.ageSeconds)})`);
    if (g.cgroups.length > SHOWN_PER_GROUP) lines.push(`  … and ${g.cgroups.length - SHOWN_PER_GROUP} more`);
  }
  return lines.join("\n") + "\n\n";
}

/** One line for a report: where the pod names come from, or why there are none. */
export function podNamesNote(src: PodSource | null): string {
  if (src === null) return "pod names: not asked (--kube names the namespace, pod and owner of each pod UID)";
  const n = src.names.size;
  if (src.status.state === "away")
    return `pod names: the API server is away (${src.status.error}): pods not seen before are named from their paths only (${n} names cached)`;
  return src.status.state === "synced"
    ? `pod names from the API server (${n} pods cached)`
    : `pod names: listing this node's pods (${n} cached so far)`;
}
