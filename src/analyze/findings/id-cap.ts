import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount, formatPercent } from "../format.js";

/** The node is near the 65,535 cap, certainly or possibly: what uses the IDs decides the way out. */
export function idCapFinding(d: DiagnosisInput): Finding | null {
  const r = d.report;
  const t = r.thresholds;
  const certain = r.ids.usedLow / r.ids.cap;
  const possible = r.ids.usedHigh / r.ids.cap;
  if (possible < t.warn) return null;
  const sure = certain >= t.warn;
  const used = sure
    ? `${formatCount(r.ids.usedLow)} of ${formatCount(r.ids.cap)} memcg IDs are used (${formatPercent(certain)})`
    : `up to ${formatCount(r.ids.usedHigh)} of ${formatCount(r.ids.cap)} memcg IDs may be used (${formatPercent(possible)}; ${formatCount(r.ids.usedLow)} certainly)`;
  const errno =
    d.model.exhaustionErrno.value === "unknown"
      ? "ENOSPC, ENOMEM or EBUSY depending on the kernel"
      : `${d.model.exhaustionErrno.value} on this kernel`;
  const remedy = r.assessment.remedy;
  return {
    id: "id-cap",
    severity: sure && certain >= t.crit ? "critical" : "warning",
    title: `${used}: at the cap every mkdir of a memory cgroup fails (${errno}) and no pod starts; ${remedy.short}`,
    evidence: [
      { from: r.memcg.totalSource, value: `${formatCount(r.memcg.kernelTotal)} memcgs in the kernel` },
      { from: "walk of " + r.cgroup.mountPoint, value: `${formatCount(r.memcg.live)} live directories` },
      { from: "kernel model", value: r.ids.basis },
    ],
    fix: [remedy.sentence, ...(remedy.command ? [`First command: ${remedy.command}`] : [])],
    sources: ["include/linux/memcontrol.h (MEM_CGROUP_ID_MAX = USHRT_MAX)", d.model.dyingHoldIds.source],
  };
}
