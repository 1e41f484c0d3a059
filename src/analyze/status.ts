import type { IdUse } from "./ids.js";
import type { Level, Thresholds } from "./report.js";
import { formatBytes, formatCount, formatPercent } from "./format.js";

/** The status and the one sentence that explains it, from the ID use and the dying memcgs. */
export function scanStatus(ids: IdUse, dying: number, pinnedBytes: number | null, t: Thresholds): { level: Level; sentence: string } {
  const used = ids.usedLow === ids.usedHigh ? formatCount(ids.usedHigh) : `${formatCount(ids.usedLow)} to ${formatCount(ids.usedHigh)}`;
  const idPart = `${used} of ${formatCount(ids.cap)} memory cgroup IDs are in use (${formatPercent(ids.usedRatio)})`;
  const pins = pinnedBytes === null || pinnedBytes === 0 ? "" : ` (pinning ${formatBytes(pinnedBytes)} of page cache)`;
  const dyingPart = ids.dyingHoldIds === true
    ? `${formatCount(dying)} of them dying memcgs that only a reboot frees`
    : `${formatCount(dying)} dying memcgs${pins} hold ${ids.dyingHoldIds === false ? "no" : "perhaps"} IDs on this kernel`;
  if (ids.usedRatio >= t.crit) {
    return { level: "critical", sentence: `${idPart}; at ${formatCount(ids.cap)} every new pod fails to start; ${dyingPart}.` };
  }
  if (ids.usedRatio >= t.warn) {
    return { level: "warning", sentence: `${idPart}, past the ${formatPercent(t.warn)} warning mark; ${dyingPart}.` };
  }
  if (dying >= t.dyingWarn) {
    return { level: "warning", sentence: `${formatCount(dying)} dying memcgs${pins} waste kernel memory and slow reclaim; ${idPart}.` };
  }
  return { level: "ok", sentence: `${idPart}; ${dyingPart}.` };
}
