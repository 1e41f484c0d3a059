import type { Placement, Rule } from "../knowledge/kernel-model.js";
import { formatCount } from "./format.js";

/** The memcg ID space: MEM_CGROUP_ID_MAX = USHRT_MAX (include/linux/memcontrol.h), unchanged through 6.x. */
export const MEMCG_ID_CAP = 65535;

export interface IdUse {
  cap: number;
  /** IDs certainly in use. */
  usedLow: number;
  /** IDs possibly in use: equal to usedLow unless swap or an unknown kernel leaves doubt. */
  usedHigh: number;
  usedRatio: number;
  headroom: number;
  dyingHoldIds: boolean | "unknown";
  /** Why the range is what it is, for a person. */
  basis: string;
}

/**
 * Which memcgs consume an ID. Before 4.8 (and on RHEL 7's 3.10) every memcg not yet freed does,
 * dying ones included. Since 73f576c04b94 (4.8) the ID is released at offline unless swap entries
 * still reference it, so only live memcgs count, plus possibly dying ones when swap is on
 * (docs/lab-results.md §2: 100,000 dying memcgs and mkdir still working, no swap).
 */
export function idUse(
  live: number,
  dying: number,
  holdIds: Rule<boolean>,
  swapOn: boolean,
  placement?: Placement,
  swapPinnedHigh?: number | null,
): IdUse {
  const total = live + dying;
  let low = live;
  let high = live;
  let basis: string;
  if (holdIds.value === true) {
    low = high = total;
    basis = `dying memcgs keep their ID on this kernel (${holdIds.source})`;
  } else if (holdIds.value === "unknown") {
    high = total;
    basis = `unknown whether dying memcgs keep their ID (${holdIds.reason}): counted as a range`;
  } else if (swapOn && swapPinnedHigh !== undefined && swapPinnedHigh !== null) {
    // src/collect/swap-ids.ts: at most this many dying memcgs have swap charged to hold an ID
    high = live + Math.min(dying, swapPinnedHigh);
    basis = `dying memcgs free their ID at removal, but swap entries keep theirs: at most ${Math.min(dying, swapPinnedHigh)} of ${dying} dying have swap charged below their live parent (memory.swap.current)`;
  } else if (swapOn) {
    high = total;
    basis = "dying memcgs free their ID at removal, but swap entries can keep some: counted as a range";
  } else {
    basis = `dying memcgs free their ID at removal and there is no swap (${holdIds.source})`;
  }
  if (placement && !placement.exact && holdIds.value !== "unknown")
    basis = `judged by base version ${placement.base}: ${basis}; what settles it here: more than ${formatCount(MEMCG_ID_CAP)} memcgs in the kernel (then dying ones hold no IDs) or mkdir failing while live memcgs are far below the cap (then they do)`;
  return {
    cap: MEMCG_ID_CAP,
    usedLow: low,
    usedHigh: high,
    usedRatio: high / MEMCG_ID_CAP,
    headroom: Math.max(0, MEMCG_ID_CAP - high),
    dyingHoldIds: holdIds.value,
    basis,
  };
}
