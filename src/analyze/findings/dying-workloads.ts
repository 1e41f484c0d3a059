import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { groupByWorkload, type DyingCgroup } from "../dying-set.js";
import type { PodName } from "../../kube/pod-cache.js";
import { attribute, type Attribution } from "../attribution.js";
import { formatCount } from "../format.js";

/** The named dying set as `serve --trace` stores it, with the pod names `--kube` learnt. */
export interface NamedDying {
  entries: DyingCgroup[];
  /** Pod UID → name, for the UIDs in entries (empty without --kube). */
  pods: Record<string, PodName>;
  savedAt: number;
  /** Where it was read, for the evidence. */
  from: string;
}

export interface WorkloadCount {
  /** "Job batch/nightly-export", "kubepods/burstable pods", "systemd unit cron.service", "/docker". */
  workload: string;
  kind: "owner" | "pod" | "pods" | "unit" | "path";
  count: number;
  podUids: string[];
  ownerKind?: string;
  oldestRmdirAt: number;
}

/** Who an operator would blame for one dying memcg: the pod's owner when known, else its QoS class, unit or subtree. */
export function workloadOf(
  a: Attribution,
  pod: PodName | undefined,
): Pick<WorkloadCount, "workload" | "kind" | "ownerKind"> {
  if (pod?.ownerKind !== undefined)
    return { workload: `${pod.ownerKind} ${pod.namespace}/${pod.ownerName}`, kind: "owner", ownerKind: pod.ownerKind };
  if (pod !== undefined) return { workload: `pod ${pod.namespace}/${pod.name}`, kind: "pod" };
  if (a.podUid !== undefined) return { workload: `kubepods/${a.qos ?? "guaranteed"} pods`, kind: "pods" };
  if (a.systemdUnit !== undefined) return { workload: `systemd unit ${a.systemdUnit}`, kind: "unit" };
  return { workload: a.workload, kind: "path" };
}

export function countWorkloads(entries: DyingCgroup[], pods: Record<string, PodName>): WorkloadCount[] {
  const podOf = (a: Attribution): PodName | undefined => (a.podUid === undefined ? undefined : pods[a.podUid]);
  const now = entries.reduce((m, c) => Math.max(m, c.rmdirAt), 0);
  return groupByWorkload(entries, now, (a) => workloadOf(a, podOf(a)).workload).map((g) => ({
    ...workloadOf(g.attribution, podOf(g.attribution)),
    count: g.count,
    podUids: [...new Set(g.cgroups.map((c) => attribute(c.path).podUid).filter((u) => u !== undefined))],
    oldestRmdirAt: now - g.oldestAgeMs,
  }));
}

/** A group this large, and this much of the dying, is a leak to stop at its source. */
const WARN_COUNT = 100;
const WARN_SHARE = 0.5;
const SHOWN = 5;

/** Which workloads left the dying memcgs `serve --trace` named. Null when nothing was traced or none are dying. */
export function dyingWorkloadsFinding(d: DiagnosisInput): Finding | null {
  const named = d.dying;
  if (named === undefined || named === null || named.entries.length === 0) return null;
  const groups = countWorkloads(named.entries, named.pods);
  const top = groups[0] as WorkloadCount;
  const total = Math.max(named.entries.length, d.report.memcg.dying);
  const warn = top.count >= WARN_COUNT && top.count >= WARN_SHARE * total;
  return {
    id: "dying-workloads",
    severity: warn ? "warning" : "info",
    title: `${formatCount(top.count)} dying memcgs come from ${top.workload}${why(top)}`,
    evidence: [
      {
        from: named.from,
        value: `${formatCount(named.entries.length)} dying memcgs named by cgleak serve --trace (saved ${new Date(named.savedAt).toISOString()}); the kernel counts ${formatCount(d.report.memcg.dying)}`,
      },
      ...groups.slice(0, SHOWN).map((g) => ({
        from: named.from,
        value: `${formatCount(g.count)} from ${g.workload}, oldest removed ${new Date(g.oldestRmdirAt).toISOString()}`,
      })),
    ],
    fix: fixFor(top),
    sources: [
      "cgroup tracepoints cgroup_rmdir / cgroup_release: a memcg removed and not yet released is dying (issue 8)",
    ],
  };
}

function why(g: WorkloadCount): string {
  if (g.kind === "owner" && (g.ownerKind === "Job" || g.ownerKind === "CronJob"))
    return " (its pods run, write to the node's disk and exit: the page cache they wrote keeps their memcgs)";
  if (g.kind === "owner" || g.kind === "pod")
    return " (removed pods whose page cache or tmpfs files keep their memcgs)";
  if (g.kind === "pods")
    return ` (pod UIDs ${g.podUids.slice(0, 3).join(", ")}${g.podUids.length > 3 ? ` and ${g.podUids.length - 3} more` : ""}; cgleak serve --trace --kube names them)`;
  return "";
}

function fixFor(g: WorkloadCount): string[] {
  const what = g.kind === "pods" ? "these pods" : g.workload;
  return [
    `find what ${what} writes to the node (emptyDir, hostPath, the container's writable layer, /dev/shm) and delete it before exiting, or write it elsewhere: that page cache keeps each removed memcg dying`,
    "free what is pinned now with cgleak reclaim (see the dying-pinned finding for the right mode on this cgroup version)",
  ];
}
