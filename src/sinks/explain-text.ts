import type { ScanReport } from "../analyze/report.js";
import { renderFindings } from "./findings-text.js";

/** `cgleak explain` for a person: the verdict and what to do, the kernel and its boot line, then every finding. */
export function renderExplainText(r: Pick<ScanReport, "status" | "findings" | "assessment" | "kernel">): string {
  const a = r.assessment;
  const out = [
    `${r.status.level.toUpperCase()}: ${r.status.sentence}`,
    `what to do: ${a.remedy.sentence}${a.remedy.command ? ` (first: ${a.remedy.command})` : ""}`,
  ];
  out.push(`reboot: ${a.reboot.needed ? "yes" : "no"}, ${a.reboot.why}`);
  out.push(`kernel: ${r.kernel.release}${a.kernel.placement.exact ? "" : ` (${a.kernel.placement.note})`}`);
  for (const m of a.kernel.measured) out.push(`  measured over model: ${m}`);
  if (a.boot.raw === null) out.push("boot line: /proc/cmdline not readable");
  else if (a.boot.effects.length === 0) out.push("boot line: no cgroup-related parameter");
  else for (const e of a.boot.effects) out.push(`boot line: ${e.param}: ${e.effect}`);
  for (const c of a.boot.conflicts) out.push(`  conflict: ${c}`);
  return `${out.join("\n")}\n\n${renderFindings(r.findings, true)}`;
}
