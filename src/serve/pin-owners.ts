import type { PinPod, PinReport, ScanReport } from "../analyze/report.js";
import type { PodSource } from "../kube/pod-cache.js";
import { podNamesNote } from "../sinks/trace-text.js";

/** What names a pod UID: the pod cache (serve --trace --kube), or the names stored with the traced set. */
export interface PodLookup {
  podName(uid: string): PinPod | undefined;
  /** One line: where the names come from, or why some can be missing. */
  podNote(): string;
}

/**
 * The report with each pin under a pod named: namespace/name and its owner. The scan finds pins by
 * path alone (a removed container's pod may be gone from the API); serve adds the names it learnt
 * while the pods were alive. A copy: the sampler's report, stored and compared, stays as scanned.
 */
export function namePins(report: ScanReport, pods: PodLookup): ScanReport {
  const pins = report.dying.pins;
  if (pins === undefined) return report;
  return { ...report, dying: { ...report.dying, pins: pins.map((p) => named(p, pods)), podNames: pods.podNote() } };
}

function named(p: PinReport, pods: PodLookup): PinReport {
  const pod = p.podUid === null ? undefined : pods.podName(p.podUid);
  return pod === undefined ? p : { ...p, pod: { ...pod } };
}

/** A pod cache as the API's lookup (serve's own cache, where no tracer holds one). */
export function podLookup(src: PodSource): PodLookup {
  return { podName: (uid) => src.names.get(uid), podNote: () => podNamesNote(src) };
}
