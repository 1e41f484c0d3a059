import type { LogReport } from "../logs/scan-logs.js";

/** The first check looks this far back; later ones from the previous check on. */
export const FIRST_LOOK_BACK_MS = 24 * 3_600_000;
/** A signature seen stays a finding this long after its last check, though later checks find nothing new. */
export const KEEP_FINDING_MS = 24 * 3_600_000;

/**
 * The log side of serve's walks: which window to read, how many new lines a check adds to
 * cgleak_log_signature_lines_total, and which LogReport the findings get.
 */
export class LogCheck {
  private lastCheckMs: number | null = null;
  private lastHit: { report: LogReport; atMs: number } | null = null;

  /**
   * Syslog times have whole seconds: from the previous check's second on, so a line written in the
   * second a check ran is never missed (it may be counted by both checks: for an alert, a double
   * count is harmless and a miss is not).
   */
  since(nowMs: number): Date {
    return new Date(this.lastCheckMs === null ? nowMs - FIRST_LOOK_BACK_MS : Math.floor(this.lastCheckMs / 1000) * 1000);
  }

  /**
   * New lines: every match on the first check; afterwards only dated ones, since a line without a
   * time (dmesg style) cannot be placed after the previous check and would be counted every walk.
   */
  fold(report: LogReport, nowMs: number): { newLines: number; forFindings: LogReport } {
    const first = this.lastCheckMs === null;
    this.lastCheckMs = nowMs;
    const newLines = first ? report.total : report.findings.reduce((n, f) => n + f.count - f.undated, 0);
    if (report.total > 0) this.lastHit = { report, atMs: nowMs };
    const keep = this.lastHit !== null && report.total === 0 && nowMs - this.lastHit.atMs < KEEP_FINDING_MS;
    return { newLines, forFindings: keep ? (this.lastHit as { report: LogReport }).report : report };
  }
}
