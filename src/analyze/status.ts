import type { IdUse } from "./ids.js";
import type { Level, Thresholds } from "./report.js";
import { formatBytes, formatCount, formatPercent } from "./format.js";

const RANK: Record<Level, number> = { ok: 0, warning: 1, critical: 2 };

export function maxLevel(a: Level, b: Level): Level {
  return RANK[a] >= RANK[b] ? a : b;
}

export function levelOf(ratio: number, t: Thresholds): Level {
  return ratio >= t.crit ? "critical" : ratio >= t.warn ? "warning" : "ok";
}

/**
 * The level the numbers alone give. IDs certainly in use (usedLow) can make it critical; IDs only
 * possibly in use (swap, a kernel the model cannot place) raise it to a warning at most: a
 * confident verdict needs a certain number.
 */
export function numericLevel(ids: IdUse, dying: number, t: Thresholds): Level {
  const certain = levelOf(ids.usedLow / ids.cap, t);
  const possible = levelOf(ids.usedHigh / ids.cap, t);
  let level = maxLevel(certain, possible === "critical" ? "warning" : possible);
  if (dying >= t.dyingWarn) level = maxLevel(level, "warning");
  return level;
}

/** The one sentence for the numbers: how many IDs are used, and what the dying memcgs hold. */
export function numbersSentence(
  ids: IdUse,
  dying: number,
  pinnedBytes: number | null,
  t: Thresholds,
  dyingForAlarms = dying,
): string {
  const used =
    ids.usedLow === ids.usedHigh
      ? formatCount(ids.usedHigh)
      : `${formatCount(ids.usedLow)} to ${formatCount(ids.usedHigh)}`;
  const idPart = `${used} of ${formatCount(ids.cap)} memory cgroup IDs are in use (${formatPercent(ids.usedLow / ids.cap)}${ids.usedLow === ids.usedHigh ? "" : ` to ${formatPercent(ids.usedHigh / ids.cap)}`})`;
  const pins = pinnedBytes === null || pinnedBytes === 0 ? "" : ` (pinning ${formatBytes(pinnedBytes)} of page cache)`;
  const dyingPart =
    ids.dyingHoldIds === true
      ? `${formatCount(dying)} of them are dying memcgs, each holding its ID until it is freed`
      : `${formatCount(dying)} dying memcgs${pins} hold ${ids.dyingHoldIds === false ? "no" : "perhaps"} IDs on this kernel`;
  const ratio = ids.usedLow / ids.cap;
  if (ratio >= t.crit) return `${idPart}; at ${formatCount(ids.cap)} every new pod fails to start; ${dyingPart}.`;
  if (ratio >= t.warn) return `${idPart}, past the ${formatPercent(t.warn)} warning mark; ${dyingPart}.`;
  if (ids.usedHigh / ids.cap >= t.warn)
    return `${idPart}: possibly past the ${formatPercent(t.warn)} warning mark; ${dyingPart}.`;
  if (dyingForAlarms >= t.dyingWarn && ids.dyingHoldIds === true)
    return `${formatCount(dying)} dying memcgs hold memory cgroup IDs until they are freed; ${idPart}.`;
  if (dyingForAlarms >= t.dyingWarn)
    return `${formatCount(dying)} dying memcgs${pins} waste kernel memory and slow reclaim; ${idPart}.`;
  return `${idPart}; ${dyingPart}.`;
}
