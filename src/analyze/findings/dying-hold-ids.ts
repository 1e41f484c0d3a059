import type { DiagnosisInput } from "../diagnose.js";
import type { Evidence, Finding, Severity } from "../finding.js";
import { kmemSwitchedOn, neverFreed, NOTABLE_DYING } from "../remedy.js";
import { formatBytes, formatCount, formatPercent } from "../format.js";

const SLAB_ON_3_10 =
  "kmem charges (per-memcg slab caches): echo 2 > drop_caches shrinks dentries and inodes and can free some, but objects held elsewhere keep their caches and memcgs; the public reports on 3.10 say only a reboot helps (moby/moby#29638, kubernetes/kubernetes#61937)";

/**
 * Where each dying memcg holds an ID (RHEL 7's 3.10, kernels before 4.8), the dying count is the
 * leak itself. Name what pins them as far as this node shows it, which of those reclaim frees and
 * which it does not, and the one remedy the assessment chose.
 */
export function dyingHoldIdsFinding(d: DiagnosisInput): Finding | null {
  const r = d.report;
  if (r.ids.dyingHoldIds !== true || r.memcg.dying < Math.min(NOTABLE_DYING, r.thresholds.dyingWarn)) return null;
  const causes = pinCauses(d);
  const share = formatPercent(r.memcg.dying / r.ids.cap);
  const remedy = r.assessment.remedy;
  return {
    id: "dying-hold-ids",
    severity: severity(d),
    title: `${formatCount(r.memcg.dying)} dying memcgs each hold a memcg ID on kernel ${r.kernel.release} (${share} of the cap): ${causes.summary}; ${remedy.short}`,
    evidence: [
      {
        from: r.memcg.dyingSource,
        value: `${formatCount(r.memcg.dying)} dying of ${formatCount(r.memcg.kernelTotal)} memcgs in the kernel`,
      },
      { from: "kernel model", value: d.model.dyingHoldIds.reason },
      ...causes.evidence,
    ],
    fix: [remedy.sentence, ...causes.fixes],
    sources: [d.model.dyingHoldIds.source, "docs/lab-results.md §1 and §4"],
  };
}

function severity(d: DiagnosisInput): Severity {
  const r = d.report;
  if (r.status.level !== "ok") return r.status.level;
  return r.assessment.dyingForAlarms >= r.thresholds.dyingWarn ? "warning" : "info";
}

interface Causes {
  summary: string;
  evidence: Evidence[];
  fixes: string[];
}

/** What this node shows of the pins: the kmem leak, kmem charges, page cache and shmem. */
function pinCauses(d: DiagnosisInput): Causes {
  const r = d.report;
  const kmemOn = kmemSwitchedOn(r, d.runtimes);
  const parts: string[] = [];
  const evidence: Evidence[] = [];
  const fixes: string[] = [];
  if (neverFreed({ ...d, ids: r.ids, level: r.status.level, thresholds: r.thresholds })) {
    parts.push("kmem accounting with fork leaves them unfreeable on this kernel");
    fixes.push(
      "Stop the leak: runc 1.0.0-rc94 or later, kubelet 1.21.2 or later, or boot with cgroup.memory=nokmem (3.10.0-1062 and later)",
    );
  } else if (kmemOn === true && d.model.slabPins.value !== false) {
    parts.push("kmem accounting is on, so slab charges can pin them and reclaim frees those only partly");
    evidence.push({ from: "kernel model", value: SLAB_ON_3_10 });
    fixes.push(
      "Keep kmem accounting off for new pods (runc 1.0.0-rc94+, kubelet 1.21.2+, or cgroup.memory=nokmem) so the dying memcgs that remain can be freed",
    );
  }
  for (const v of (d.runtimes ?? []).filter((x) => x.enablesKmem === true))
    evidence.push({ from: v.from, value: v.reason });
  if (r.kmem.checked)
    evidence.push({
      from: "memory.kmem.usage_in_bytes",
      value: `kmem accounting on in ${formatCount(r.kmem.podOn)} of ${formatCount(r.kmem.podOf)} pod memcgs, ${formatCount(r.kmem.on)} of ${formatCount(r.kmem.of)} in all`,
    });
  else evidence.push({ from: "memory.kmem.usage_in_bytes", value: r.kmem.reason });
  const pinned = r.dying.pinnedBytes;
  if (pinned === null) parts.push("the page cache they pin could not be read");
  else if (pinned > 0) {
    parts.push(
      `page cache and shmem pin ${formatBytes(pinned)} (reclaim frees the page cache; tmpfs files must be deleted)`,
    );
    fixes.push(
      "cgleak reclaim --drop-caches (sync, then drop_caches) or --force-empty <live parent> frees page-cache pins; delete leftover tmpfs/emptyDir files for shmem pins",
    );
  } else parts.push("no page cache pins them, so reclaim cannot free them");
  evidence.push({
    from: "memory.stat (total_cache - cache - live children)",
    value: pinned === null ? "unreadable" : `${formatBytes(pinned)} held by dying memcgs`,
  });
  return { summary: parts.join("; "), evidence, fixes };
}
