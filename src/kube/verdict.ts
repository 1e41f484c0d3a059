import type { ScanReport } from "../analyze/report.js";
import { formatBytes, formatCount, formatPercent } from "../analyze/format.js";
import { rebootVerdict } from "./reboot.js";

/** node-problem-detector's custom-plugin protocol (pkg/custompluginmonitor/types): 0 OK, 1 NonOK, 2 Unknown. */
export const NPD = { ok: 0, problem: 1, unknown: 2 } as const;
/** NPD's sample configs cut stdout to max_output_length 80; we never rely on that cut. */
export const MAX_LINE = 80;

export type ProblemAt = "warning" | "critical";

/** What `cgleak check` prints and exits with, and what `serve --npd-status` writes: one verdict. */
export interface Verdict {
  code: number;
  line: string;
}

/** The NPD verdict of one assessment: a problem from `problemAt` on, with a one-line summary. */
export function npdVerdict(report: ScanReport, problemAt: ProblemAt): Verdict {
  const level = report.status.level;
  const problem = level === "critical" || (level === "warning" && problemAt === "warning");
  return { code: problem ? NPD.problem : NPD.ok, line: clip(summary(report)) };
}

/** kured's protocol: exit 0 only when a reboot is the only way back. */
export function kuredVerdict(report: ScanReport): Verdict {
  const v = rebootVerdict(report);
  return { code: v.needed ? 0 : 1, line: clip(`${v.needed ? "REBOOT" : "NO REBOOT"}: ${v.why}`) };
}

/** The host could not be assessed. 2 suits both protocols (kured: "no reboot, log a warning"). */
export function unknownVerdict(why: string): Verdict {
  return { code: NPD.unknown, line: clip(`UNKNOWN: ${why}`) };
}

function summary(r: ScanReport): string {
  const head = `${r.status.level.toUpperCase()}: memcg IDs ${formatCount(r.ids.usedHigh)}/${formatCount(r.ids.cap)} (${formatPercent(r.ids.usedRatio)}), ${formatCount(r.memcg.dying)} dying`;
  if (r.ids.dyingHoldIds === true && r.memcg.dying > 0)
    return `${head} hold IDs${rebootVerdict(r).needed ? ", reboot needed" : ""}`;
  if (r.dying.pinnedBytes) return `${head}, pin ${formatBytes(r.dying.pinnedBytes)}`;
  return head;
}

/** At most MAX_LINE bytes on one line (NPD counts bytes); ASCII "..." marks a cut. */
export function clip(line: string): string {
  const one = line.replace(/\s+/g, " ").trim();
  if (Buffer.byteLength(one) <= MAX_LINE) return one;
  let s = one;
  while (Buffer.byteLength(s) > MAX_LINE - 3) s = s.slice(0, -1);
  return s + "...";
}
