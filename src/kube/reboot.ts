import type { ScanReport } from "../analyze/report.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { parseCmdline } from "../parsers/cmdline.js";
import { formatCount, formatPercent } from "../analyze/format.js";

export interface RebootVerdict {
  needed: boolean;
  /** One short sentence: why a reboot is, or is not, the only way back. */
  why: string;
}

/**
 * A reboot is the only way back when dying memcgs hold IDs (no private memcg ID: RHEL 7's 3.10,
 * upstream before 4.8), the kernel never frees them (the RHEL 7 kmem fork leak, BZ 1507149), and
 * the IDs they hold are what pushes the node past the critical share. Where reclaim can still free
 * them (dyingHoldIds without kmemForkLeak) `cgleak reclaim` is the remedy; where live memcgs alone
 * are past the mark, deleting pods is. Neither needs a reboot, so kured must not be asked for one.
 */
export function rebootVerdict(report: ScanReport): RebootVerdict {
  const model = kernelModel(report.kernel.release, report.kernel.cmdline === null ? undefined : parseCmdline(report.kernel.cmdline));
  const { ids, memcg, thresholds } = report;
  // Kept short: `check --kured` prints it on one line of at most 80 characters.
  const used = `(IDs at ${formatPercent(ids.usedRatio)} of cap)`;
  if (model.dyingHoldIds.value !== true) return { needed: false, why: `dying memcgs hold no IDs on this kernel ${used}` };
  if (model.kmemForkLeak.value !== true) return { needed: false, why: `dying memcgs can still be freed: cgleak reclaim ${used}` };
  if (ids.usedRatio < thresholds.crit) return { needed: false, why: `below the ${formatPercent(thresholds.crit)} critical mark ${used}` };
  if ((ids.usedHigh - memcg.dying) / ids.cap >= thresholds.crit) {
    return { needed: false, why: `live memcgs alone pass the critical mark: delete pods ${used}` };
  }
  return { needed: true, why: `${formatCount(memcg.dying)} dying memcgs hold IDs only a reboot frees ${used}` };
}
