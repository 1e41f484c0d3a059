import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";

/** The node's own numbers contradict the kernel rule: the numbers win, and the finding says so. */
export function measuredVsModelFinding(d: DiagnosisInput): Finding | null {
  const notes = d.report.assessment.kernel.measured;
  if (notes.length === 0) return null;
  return {
    id: "measured-vs-model",
    severity: "warning",
    title: `This node's numbers contradict what cgleak's kernel model says of ${d.report.kernel.release}: the numbers are taken as the truth (${notes[0]})`,
    evidence: notes.map((value) => ({ from: "measurement", value })),
    fix: [
      "Treat the ID figures here as measured, not modelled; file an issue with the release string and /proc/cgroups so the model learns this kernel",
    ],
    sources: [d.model.dyingHoldIds.source, d.report.memcg.totalSource],
  };
}

/** A vendor kernel: every verdict is judged by its base version, and the finding says what would settle it. */
export function kernelPlacementFinding(d: DiagnosisInput): Finding | null {
  const p = d.model.placement;
  if (p.exact || d.model.dyingHoldIds.value === "unknown") return null;
  return {
    id: "kernel-placement",
    severity: "info",
    title: `${p.note}: dying memcgs ${d.model.dyingHoldIds.value ? "keep" : "free"} their IDs there (${d.model.dyingHoldIds.reason})`,
    evidence: [
      { from: "/proc/sys/kernel/osrelease", value: d.report.kernel.release },
      { from: "kernel model", value: d.report.ids.basis },
    ],
    fix: [
      "What settles it on this node: the kernel total passing 65,535 (dying memcgs then hold no IDs), or memory cgroup mkdir failing while live memcgs are far below the cap (they do); cgleak logs finds the latter",
    ],
    sources: [d.model.dyingHoldIds.source],
  };
}

/** What the boot line changes, when it changes a verdict: nokmem removing the kmem leak, or conflicting parameters. */
export function bootLineFinding(d: DiagnosisInput): Finding | null {
  const b = d.report.assessment.boot;
  const nokmem = b.effects.find((e) => e.param === "cgroup.memory=nokmem");
  const elSeven = d.model.release.distro === "rhel" && d.model.release.major === 3;
  if (b.conflicts.length === 0 && !(nokmem && elSeven)) return null;
  const what = [
    ...(nokmem && elSeven
      ? [
          `booted with cgroup.memory=nokmem: ${d.model.kmemForkLeak.value === false ? "the kmem-and-fork leak cannot happen here" : d.model.kmemForkLeak.reason}`,
        ]
      : []),
    ...b.conflicts,
  ];
  return {
    id: "boot-line",
    severity: "info",
    title: `The boot line changes the verdict: ${what.join("; ")}`,
    evidence: [
      { from: "/proc/cmdline", value: b.raw ?? "unreadable" },
      ...b.effects.map((e) => ({ from: e.param, value: e.effect })),
    ],
    fix: [],
    sources: ["Documentation/admin-guide/kernel-parameters.rst", d.model.kmemForkLeak.source],
  };
}
