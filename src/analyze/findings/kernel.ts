import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";

/** 6.1.54 removed memory.kmem.limit_in_bytes on v1, and runc and kubelet failed to create cgroups. */
export function kmemLimitGoneFinding(d: DiagnosisInput): Finding | null {
  const rule = d.model.kmemLimitFileGone;
  if (rule.value !== true || d.report.cgroup.memoryVersion !== 1) return null;
  return {
    id: "kmem-limit-gone",
    severity: "warning",
    title: `Kernel ${d.report.kernel.release} has no memory.kmem.limit_in_bytes on cgroup v1: runc and kubelet versions that write it fail to create containers`,
    evidence: [{ from: "/proc/sys/kernel/osrelease", value: rule.reason }],
    fix: ["Move to a later 6.1 stable kernel, or runc 1.1.10+ and a kubelet that no longer writes the file"],
    sources: [rule.source],
  };
}

/** A release the model cannot place: the numbers stand, the verdicts that need the kernel do not. */
export function unknownKernelFinding(d: DiagnosisInput): Finding | null {
  const rule = d.model.dyingHoldIds;
  if (rule.value !== "unknown") return null;
  return {
    id: "unknown-kernel",
    severity: "unknown",
    title: `cgleak cannot tell how kernel ${JSON.stringify(d.report.kernel.release)} treats dying memcgs (${rule.reason}): ID use is shown as a range and no kernel verdict is given`,
    evidence: [{ from: "/proc/sys/kernel/osrelease", value: d.report.kernel.release }],
    fix: [
      "Check the kernel's vendor and base version by hand; file an issue with the release string so the model learns it",
    ],
    sources: [rule.source],
  };
}
