import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import type { SubtreeFacts } from "../../collect/memcg.js";
import { releaseActions } from "../../knowledge/kernel-facts.js";
import { NOTABLE_DYING } from "../remedy.js";
import { formatBytes, formatCount } from "../format.js";
import { memstatEvidence } from "../dying-cost.js";

/**
 * On kernels where dying memcgs free their ID, they are a memory leak: kernel memory that grows
 * with the CPU count (src/analyze/dying-cost.ts) plus the page cache and shmem that pin them. What
 * frees them differs between v1 and v2 (docs/lab-results.md §1 and §3), so the fix is chosen from
 * releaseActions.
 */
export function dyingPinnedFinding(d: DiagnosisInput): Finding | null {
  const r = d.report;
  if (r.ids.dyingHoldIds === true || r.memcg.dying < Math.min(NOTABLE_DYING, r.thresholds.dyingWarn)) return null;
  const top = topPinned(r.subtrees);
  const where = top && (top.pinnedBytes ?? 0) > 0 ? ` under ${top.path}` : "";
  const pins = !r.dying.pinnedBytes ? "" : ` pin ${formatBytes(r.dying.pinnedBytes)} of page cache${where} and`;
  const v = r.cgroup.memoryVersion === 1 ? "v1" : "v2";
  const frees = releaseActions.filter((a) => a.frees && (a.cgroup === v || a.cgroup === "both"));
  const fails = releaseActions.filter((a) => !a.frees && a.cgroup === v);
  const parent = top ? `${r.cgroup.mountPoint}/${top.path}` : r.cgroup.mountPoint;
  const fix =
    v === "v1"
      ? [
          `cgleak reclaim --force-empty ${parent} (frees the page cache of a live parent's dying children; measured 30 of 30)`,
          "or cgleak reclaim --drop-caches (sync, then drop_caches 1: global and blunt)",
        ]
      : [
          `cgleak reclaim --drop-caches (sync, then drop_caches 3 = drop_caches 1 + drop_caches 2: on v2 the memcg goes only when the inodes it wrote are evicted, after their pages; drop_caches 1 alone frees none)`,
          `or cgleak reclaim --memory-reclaim ${parent} <more than it holds> (after a sync; also reclaims the live memcgs' cache there)`,
        ];
  fix.push(
    "tmpfs and shmem files keep their memcgs until the files are deleted: find the workload that leaves them (cgleak trace names the dying memcgs)",
  );
  return {
    id: "dying-pinned",
    severity: r.assessment.dyingForAlarms >= r.thresholds.dyingWarn ? "warning" : "info",
    title: `${formatCount(r.memcg.dying)} dying memcgs${pins} cost ~${formatBytes(r.dying.kernelBytes)} of kernel memory: they ${r.ids.dyingHoldIds === false ? "do not use IDs on this kernel" : "may also hold IDs (not known for this kernel)"}; ${(r.dying.pinnedBytes ?? 0) > 0 ? "cgleak reclaim can free the ones page cache pins" : "no page cache pins them"}`,
    evidence: [
      { from: r.memcg.dyingSource, value: `${formatCount(r.memcg.dying)} dying` },
      {
        from: `cost model ${r.dying.cost.model} (docs/cost-model.md)`,
        value: `${formatBytes(r.dying.kernelBytesEach)} of kernel memory each = ${r.dying.cost.formula} (kernel ${r.dying.cost.series} fit)${r.dying.cost.caveats.length > 0 ? `; ${r.dying.cost.caveats.join("; ")}` : ""}`,
      },
      memstatEvidence(r.kernel.release, r.memcg.dying),
      ...mostPinned(r.subtrees).map((s) => ({
        from: `${r.cgroup.mountPoint}/${s.path}/memory.stat`,
        value: `${formatBytes(s.pinnedBytes ?? 0)} held by dying memcgs below ${s.path}`,
      })),
      ...fails.map((a) => ({ from: a.source, value: `does not free them on ${v}: ${a.action}` })),
    ],
    fix,
    sources: [d.model.dyingHoldIds.source, ...new Set(frees.map((a) => a.source))],
  };
}

function mostPinned(subtrees: SubtreeFacts[]): SubtreeFacts[] {
  return subtrees
    .filter((s) => s.path !== "/" && (s.pinnedBytes ?? 0) > 0)
    .sort((a, b) => (b.pinnedBytes ?? 0) - (a.pinnedBytes ?? 0))
    .slice(0, 3);
}

/** The subtree holding the most pins; a kubepods QoS child when it holds most of its parent's. */
function topPinned(subtrees: SubtreeFacts[]): SubtreeFacts | undefined {
  const pinned = (s: SubtreeFacts): number => s.pinnedBytes ?? 0;
  const top = subtrees
    .filter((s) => s.path !== "/")
    .sort((a, b) => pinned(b) - pinned(a) || (b.dying ?? 0) - (a.dying ?? 0))[0];
  if (!top) return undefined;
  const child = subtrees.filter((s) => s.path.startsWith(`${top.path}/`)).sort((a, b) => pinned(b) - pinned(a))[0];
  return child && pinned(child) >= 0.8 * pinned(top) ? child : top;
}
