import type { Host } from "../host/host.js";
import type { LogReport, LogSource } from "../logs/scan-logs.js";
import { LogTailer } from "../logs/tail.js";

/** The first check looks this far back; later ones read only what was written since. */
export const FIRST_LOOK_BACK_MS = 24 * 3_600_000;
/** A signature seen stays a finding this long after its last check, though later checks find nothing new. */
export const KEEP_FINDING_MS = 24 * 3_600_000;

/**
 * The log side of serve's walks. The logs are tailed (LogTailer): a check reads only the bytes and
 * journal entries new since the previous one, so each matching line counts once in
 * cgleak_log_signature_lines_total, dated or not. The findings get everything read since the first
 * check's window opened (the same counts and times a full read would give) while the last match is
 * under KEEP_FINDING_MS old; after that quiet spell the count starts again.
 */
export class LogCheck {
  private tailer: LogTailer | null = null;
  private lastHitMs: number | null = null;

  async read(host: Host, sources: LogSource[], nowMs: number): Promise<{ newLines: number; forFindings: LogReport }> {
    const tailer = (this.tailer ??= new LogTailer({ host, since: new Date(nowMs - FIRST_LOOK_BACK_MS) }));
    const fresh = await tailer.check(sources, new Date(nowMs));
    if (fresh.findings.length > 0 || (fresh.possible?.length ?? 0) > 0) this.lastHitMs = nowMs;
    const recent = this.lastHitMs !== null && nowMs - this.lastHitMs < KEEP_FINDING_MS;
    if (!recent && this.lastHitMs !== null) {
      // Only lines read from now on count; a minute of slack for the writers' clocks.
      tailer.restart(new Date(Math.floor(nowMs / 1000) * 1000 - 60_000));
      this.lastHitMs = null;
    }
    return { newLines: fresh.total, forFindings: recent ? tailer.running() : fresh };
  }
}
