import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount } from "../format.js";

/** Fewer leaked directories than this are housekeeping, not a leak. */
const NOTABLE = 50;

/** Leaked empty directories are live memcgs: they use IDs on every kernel (k8s#70324). */
export function emptyCgroupsFinding(d: DiagnosisInput): Finding | null {
  const e = d.report.empty;
  if (!e.checked || e.count < NOTABLE) return null;
  const top = e.groups[0];
  const runScope = top?.shape.includes("run-") && top.shape.endsWith(".scope");
  const fix = [
    `cgleak clean-empty${top ? ` --match '${top.shape}'` : ""} --min-age 10m (lists them), then again with --apply (removes them, deepest first, never one with a process)`,
  ];
  if (runScope)
    fix.push(
      "They come from kubelet's systemd-run --scope mounts: move to systemd 236 or later (CollectMode=inactive-or-failed, cri-o#4453)",
    );
  return {
    id: "empty-cgroups",
    severity: "warning",
    title: `${formatCount(e.count)} empty cgroups older than ${e.minAgeSeconds} s${top ? `, ${formatCount(top.count)} of them ${top.shape}` : ""}: leaked directories use memcg IDs and inotify watches`,
    evidence: e.groups
      .slice(0, 5)
      .map((g) => ({ from: "cgroup.procs / cgroup.events", value: `${formatCount(g.count)} × ${g.shape}` })),
    fix,
    sources: runScope
      ? ["kubernetes/kubernetes#70324", "cri-o/cri-o#4453"]
      : ["kubernetes/kubernetes#70324 (leaked cgroup directories)", "containerd/containerd#11087"],
  };
}
