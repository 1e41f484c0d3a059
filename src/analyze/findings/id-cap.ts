import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount, formatPercent } from "../format.js";

/** The node is near the 65,535 cap: what uses the IDs decides the way out. */
export function idCapFinding(d: DiagnosisInput): Finding | null {
  const r = d.report;
  if (r.status.level === "ok" || r.ids.usedRatio < r.thresholds.warn) return null;
  const dyingHold = r.ids.dyingHoldIds === true;
  const fix = dyingHold
    ? ["Stop the leak first (see the other findings)", "Drain the node and reboot it: dying memcgs that hold IDs are freed by nothing else on this kernel"]
    : ["Find who creates the live memcgs: the top subtrees below, and empty cgroups (cgleak clean-empty)", "Lower the pods per node, or remove leaked directories with cgleak clean-empty --apply"];
  return {
    id: "id-cap",
    severity: r.status.level === "critical" ? "critical" : "warning",
    title: `${formatCount(r.ids.usedHigh)} of ${formatCount(r.ids.cap)} memcg IDs are used (${formatPercent(r.ids.usedRatio)}): at the cap every mkdir of a memory cgroup fails (${dyingHold ? "ENOSPC on this kernel" : "ENOSPC, ENOMEM or EBUSY depending on the kernel"}) and no pod starts`,
    evidence: [
      { from: r.memcg.totalSource, value: `${formatCount(r.memcg.kernelTotal)} memcgs in the kernel` },
      { from: "walk of " + r.cgroup.mountPoint, value: `${formatCount(r.memcg.live)} live directories` },
      { from: "kernel model", value: r.ids.basis },
    ],
    fix,
    sources: ["facts.md §2 (MEM_CGROUP_ID_MAX = 65535)"],
  };
}
