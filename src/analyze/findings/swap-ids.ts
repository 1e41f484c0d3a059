import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import { formatCount, formatPercent } from "../format.js";
import { NOTABLE_DYING } from "../remedy.js";

/**
 * Since 73f576c04b94 (4.8) a dying memcg frees its ID at removal unless swap entries still point
 * at it. With swap on (Kubernetes NodeSwap), tmpfs/emptyDir and shmem pages swapped out while
 * their container lived keep its memcg and its ID after the container is gone: the seed's
 * `mkdir: no space left on device` by today's route, with the live count far below the cap.
 * Measured in the qemu lab (lab/v2/README.md, "Swap-pinned IDs"). On kernels where every dying
 * memcg holds its ID the id-cap finding says so; this one is for the swap route only.
 */
export function swapIdsFinding(d: DiagnosisInput): Finding | null {
  const r = d.report;
  const swapOn = (r.meminfo.swapTotalBytes ?? 0) > 0;
  if (!swapOn || r.ids.dyingHoldIds === true || r.memcg.dying < Math.min(NOTABLE_DYING, r.thresholds.dyingWarn))
    return null;
  const atRisk = r.ids.usedRatio >= r.thresholds.warn;
  return {
    id: "swap-ids",
    severity: atRisk ? "warning" : "info",
    title: `swap is on and ${formatCount(r.memcg.dying)} dying memcgs are present: those whose pages were swapped out keep their memcg ID, so up to ${formatCount(r.ids.usedHigh)} of ${formatCount(r.ids.cap)} IDs may be taken (${formatPercent(r.ids.usedRatio)}) and mkdir fails at the cap with far fewer live cgroups`,
    evidence: [
      { from: "/proc/meminfo SwapTotal", value: `${formatCount(r.meminfo.swapTotalBytes ?? 0)} bytes of swap` },
      {
        from: r.memcg.dyingSource,
        value: `${formatCount(r.memcg.dying)} dying memcgs, ${formatCount(r.memcg.live)} live`,
      },
      { from: "kernel model", value: r.ids.basis },
    ],
    fix: [
      "Delete the tmpfs/emptyDir and shmem files the removed containers left: their swap entries go, and the IDs with them",
      "Or bring the pages back in (read the files from a live cgroup, or swapoff and swapon the device when memory allows): a swap-in charges the page to a live memcg and drops the dead one's reference",
      "Find the workload that leaves tmpfs or shmem behind (cgleak trace names the dying memcgs); cgleak repro --mode swap-ids shows the effect on this kernel",
    ],
    sources: [
      "kernel commit 73f576c04b94 (mm: memcontrol: fix cgroup creation failure after many small jobs)",
      "lab/v2/README.md (Swap-pinned IDs: measured per kernel)",
    ],
  };
}
