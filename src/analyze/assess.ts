import type { KernelModel, Rule } from "../knowledge/kernel-model.js";
import type { RuntimeVerdict } from "../knowledge/runtime-facts.js";
import type { LogReport } from "../logs/scan-logs.js";
import type { BootParams } from "../parsers/cmdline.js";
import type { Finding } from "./finding.js";
import type { NamedDying } from "./findings/dying-workloads.js";
import type { AssessmentView, Level, Risk, ScanReport, Snapshot } from "./report.js";
import { idUse, MEMCG_ID_CAP, type IdUse } from "./ids.js";
import { maxLevel, numericLevel, numbersSentence } from "./status.js";
import { decideRemedy, rebootFrom, type Remedy } from "./remedy.js";
import { bootLine } from "./boot-line.js";
import { diagnose } from "./diagnose.js";
import { formatCount, formatPercent } from "./format.js";

/** What the assessment rests on. Runtime versions, logs and the traced dying set are optional: null means not looked at. */
export interface AssessInput {
  snapshot: Snapshot;
  model: KernelModel;
  boot: BootParams | null;
  runtimes: RuntimeVerdict[] | null;
  logs: LogReport | null;
  dying?: NamedDying | null;
}

export type Assessed = Omit<ScanReport, "explain">;

/**
 * The one decision about a node: ID use, status, findings, remedy, reboot and risk. Every command
 * and sink renders its result and decides nothing of its own. Pure: the same input, the same output.
 */
export function assess(a: AssessInput): Assessed {
  const s = a.snapshot;
  const measured = measuredHolds(a.model.dyingHoldIds, s, a.logs);
  const ids = idUse(
    s.memcg.live,
    s.memcg.dying,
    measured.rule,
    (s.meminfo.swapTotalBytes ?? 0) > 0,
    a.model.placement,
    s.swapPinnedIds?.pinnedHigh ?? null,
  );
  const dyingForAlarms = alarmDying(a);
  const numeric = numericLevel(ids, dyingForAlarms, s.thresholds);
  const remedy = decideRemedy({
    report: s,
    ids,
    level: numeric,
    thresholds: s.thresholds,
    model: a.model,
    runtimes: a.runtimes,
  });
  const reboot = rebootFrom(remedy, ids, s.memcg.dying, s.thresholds);
  const view: AssessmentView = {
    dyingForAlarms,
    remedy,
    reboot,
    risk: riskOf(ids, s, a.logs),
    kernel: { placement: a.model.placement, measured: measured.notes },
    boot: bootLine(a.boot, { rhel7: a.model.release.distro === "rhel" && a.model.release.major === 3 }),
  };
  const sentence =
    numbersSentence(ids, s.memcg.dying, s.dying.pinnedBytes, s.thresholds, dyingForAlarms) + settledNote(a);
  const base = { ...s, ids, status: { level: numeric, sentence }, assessment: view };
  const findings = diagnose({
    report: base,
    model: a.model,
    runtimes: a.runtimes,
    logs: a.logs,
    dying: a.dying ?? null,
  });
  const status = finalStatus(numeric, sentence, findings);
  return { ...base, status, findings, assessment: { ...view, remedy: followFinding(remedy, status.level, findings) } };
}

/** A status a finding raised (the numbers alone said OK) is never paired with "nothing to do". */
function followFinding(remedy: Remedy, level: Level, findings: Finding[]): Remedy {
  const top = findings.find((f) => f.severity === "critical" || f.severity === "warning");
  if (level === "ok" || remedy.action !== "none" || top === undefined) return remedy;
  return {
    action: "watch",
    sentence: `Follow the ${top.id} finding: ${top.fix[0] ?? top.title}`,
    command: null,
    short: `follow the ${top.id} finding`,
  };
}

/**
 * Where the kernel may count a memcg as dying from rmdir on (7.1 and later), fresh removals show at
 * once: the dying-count alarm then uses those that stayed through serve's debounce window, when known.
 */
export function alarmDying(a: AssessInput): number {
  const settled = a.snapshot.memcg.dyingSettled;
  if (a.model.dyingCountedAtRmdir.value === false || !settled) return a.snapshot.memcg.dying;
  return Math.min(settled.count, a.snapshot.memcg.dying);
}

/** The findings can only raise the level the numbers give; the sentence then names why. */
function finalStatus(numeric: Level, sentence: string, findings: Finding[]): { level: Level; sentence: string } {
  const top = findings.find((f) => f.severity === "critical" || f.severity === "warning");
  const fromFindings: Level = top === undefined ? "ok" : top.severity === "critical" ? "critical" : "warning";
  const level = maxLevel(numeric, fromFindings);
  return { level, sentence: level !== numeric && top ? `${sentence} ${top.title}.` : sentence };
}

/** Log hits that show memcg creation failing: the node has already run out, whatever the model says. */
export function exhaustionSeen(logs: LogReport | null): boolean {
  return (logs?.findings ?? []).some((f) => f.kind.startsWith("mkdir") || f.kind === "failed-create-pod-container");
}

/**
 * Measurement beats the model. More memcgs in the kernel than there are IDs proves dying ones do
 * not all hold one; mkdir failing in the logs while live memcgs are far below the cap proves that
 * something beyond them does.
 */
function measuredHolds(
  rule: Rule<boolean>,
  s: Snapshot,
  logs: LogReport | null,
): { rule: Rule<boolean>; notes: string[] } {
  const total = s.memcg.kernelTotal;
  if (rule.value === true && total > MEMCG_ID_CAP) {
    const reason = `measured: ${formatCount(total)} memcgs in the kernel, more than the ${formatCount(MEMCG_ID_CAP)} IDs there are, so dying memcgs do not keep their IDs here, whatever the kernel's base version says (${rule.reason})`;
    return { rule: { value: false, source: s.memcg.totalSource, reason }, notes: [reason] };
  }
  if (
    rule.value === false &&
    exhaustionSeen(logs) &&
    s.memcg.live / MEMCG_ID_CAP < s.thresholds.warn &&
    s.memcg.dying > 0
  ) {
    const reason = `measured: the logs show memory cgroup mkdir failing while only ${formatCount(s.memcg.live)} memcgs live, so something beyond them holds IDs (swap entries of dying memcgs, or a kernel that keeps them), whatever the rule says (${rule.reason})`;
    return { rule: { value: "unknown", source: "cgleak logs", reason }, notes: [reason] };
  }
  return { rule, notes: [] };
}

function settledNote(a: AssessInput): string {
  const settled = a.snapshot.memcg.dyingSettled;
  if (a.model.dyingCountedAtRmdir.value === false || !settled) return "";
  return ` ${formatCount(Math.min(settled.count, a.snapshot.memcg.dying))} of the ${formatCount(a.snapshot.memcg.dying)} dying have been dying for ${settled.windowSeconds} s or more (this kernel may count a memcg as dying from rmdir on; alarms use those).`;
}

function riskOf(ids: IdUse, s: Snapshot, logs: LogReport | null): Risk {
  const t = s.thresholds;
  if (ids.usedLow / ids.cap >= t.warn)
    return {
      atRiskNow: true,
      why: `${formatPercent(ids.usedLow / ids.cap)} of the memcg IDs are in use, past the ${formatPercent(t.warn)} mark: at risk now, whatever the trend`,
    };
  if (exhaustionSeen(logs))
    return { atRiskNow: true, why: "the logs show memory cgroup creation failing on this node" };
  if (ids.usedHigh / ids.cap >= t.warn)
    return {
      atRiskNow: true,
      why: `possibly ${formatPercent(ids.usedHigh / ids.cap)} of the memcg IDs in use (${ids.basis}): at risk until settled`,
    };
  return {
    atRiskNow: false,
    why: `${formatPercent(ids.usedHigh / ids.cap)} of the memcg IDs in use, below the ${formatPercent(t.warn)} mark`,
  };
}
