import type { ScanReport } from "../analyze/report.js";
import { rebootVerdict } from "./reboot.js";
import { formatCount, formatDuration } from "../analyze/format.js";

export const CONDITION_TYPE = "MemoryCgroupLeak";
export const TAINT_KEY = "cgleak.io/memcg-exhaustion";

export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}
export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}
export type JsonPatchOp =
  { op: "test" | "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

/** What cgleak wants its own node to show; computed on the caller's thread, applied later. */
export interface Desired {
  status: "True" | "False";
  reason: string;
  message: string;
  level: ScanReport["status"]["level"];
  at: string;
}

/** What `serve --reap` has freed since it started, for the condition (null or absent: no reaper). */
export interface ReaperView {
  dyingFreed: number;
  /** When the last pass that freed something ran (ISO), or null. */
  lastActedAt: string | null;
}

/** The condition's status, reason and message from a scan, the forecast's time to the cap and the reaper. */
export function desiredFrom(
  report: ScanReport,
  forecast: { secondsToCap: number | null } | undefined,
  now: number,
  reaper?: ReaperView | null,
): Desired {
  const { level } = report.status;
  const reaped =
    reaper && reaper.dyingFreed > 0
      ? ` cgleak serve --reap has freed ${formatCount(reaper.dyingFreed)} dying memcgs since it started${reaper.lastActedAt ? ` (last at ${reaper.lastActedAt})` : ""}${level === "ok" ? ": the reaper keeps this node healthy" : ""}.`
      : "";
  const ttc =
    forecast === undefined
      ? ""
      : forecast.secondsToCap === null
        ? " Not leaking: no time to the cap."
        : ` Time to the ID cap at the current rate: ${formatDuration(forecast.secondsToCap)}.`;
  const todo = level === "ok" ? "" : ` ${report.assessment.remedy.sentence}.`;
  const reason = level === "ok" && reaped !== "" ? "MemcgKeptHealthyByReaper" : reasonOf(report);
  return {
    status: level === "ok" ? "False" : "True",
    reason,
    message: report.status.sentence + todo + ttc + reaped,
    level,
    at: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

/** CamelCase reasons, as Kubernetes conditions use them. */
function reasonOf(r: ScanReport): string {
  if (r.status.level === "ok") return "MemcgHealthy";
  if (rebootVerdict(r).needed) return "MemcgIdsHeldUntilReboot";
  if (r.status.level === "critical") return "MemcgIdsNearCap";
  if (r.assessment.risk.atRiskNow) return "MemcgIdsHigh";
  return "DyingMemcgs";
}

/** The strategic-merge patch of nodes/status: conditions merge on `type`, so others' stay untouched. */
export function conditionPatch(d: Desired, current: NodeCondition | undefined): { body: object; transition: boolean } {
  const transition = current?.status !== d.status;
  const cond: NodeCondition = {
    type: CONDITION_TYPE,
    status: d.status,
    reason: d.reason,
    message: d.message,
    lastHeartbeatTime: d.at,
    lastTransitionTime: transition || current === undefined ? d.at : current.lastTransitionTime,
  };
  return { body: { status: { conditions: [cond] } }, transition };
}

/**
 * The JSON patch that adds or removes our taint, or null when nothing is to change. The `test`
 * op makes the API server refuse the patch if anyone changed the taints since we read them, so
 * a concurrent kubectl taint or node controller write is never clobbered (we re-read and retry).
 */
export function taintPatch(want: boolean, taints: Taint[] | undefined, resourceVersion: string): JsonPatchOp[] | null {
  const i = (taints ?? []).findIndex((t) => t.key === TAINT_KEY && t.effect === "NoSchedule");
  if (want === i >= 0) return null;
  const ours: Taint = { key: TAINT_KEY, effect: "NoSchedule" };
  if (taints === undefined) {
    return [
      { op: "test", path: "/metadata/resourceVersion", value: resourceVersion },
      { op: "add", path: "/spec/taints", value: [ours] },
    ];
  }
  const guard: JsonPatchOp = { op: "test", path: "/spec/taints", value: taints };
  return want
    ? [guard, { op: "add", path: "/spec/taints/-", value: ours }]
    : [guard, { op: "remove", path: `/spec/taints/${i}` }];
}

/** A core/v1 Event about the node, named as client-go's recorder names them (name.hex-nanoseconds). */
export function nodeEvent(node: { name: string; uid: string }, d: Desired, micros: number): object {
  return {
    metadata: { name: `${node.name}.${(BigInt(micros) * 1000n).toString(16)}`, namespace: "default" },
    involvedObject: { apiVersion: "v1", kind: "Node", name: node.name, uid: node.uid },
    reason: d.reason,
    message: d.message,
    type: d.status === "True" ? "Warning" : "Normal",
    source: { component: "cgleak", host: node.name },
    reportingComponent: "cgleak",
    reportingInstance: node.name,
    firstTimestamp: d.at,
    lastTimestamp: d.at,
    count: 1,
  };
}
