import type { ScanReport } from "../analyze/report.js";
import type { RebootVerdict } from "../analyze/remedy.js";

export type { RebootVerdict } from "../analyze/remedy.js";

/**
 * The reboot decision, as the assessment made it (src/analyze/remedy.ts): a reboot only when the
 * remedy is one, that is when dying memcgs holding IDs push the node past the critical mark and
 * nothing short of a reboot frees them. `check --kured`, the sentinel and the condition all read it.
 */
export function rebootVerdict(report: ScanReport): RebootVerdict {
  return report.assessment.reboot;
}
