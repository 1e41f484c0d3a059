import { formatBytes, formatCount } from "../analyze/format.js";
import type { PassReport } from "../actions/reap-report.js";

/** A pass for a person: what it decided, what it freed, what it cost, what it could not free. */
export function reapText(r: PassReport): string {
  const lines = [`reap: ${r.verdict} (${r.method}${r.dryRun ? ", dry run" : ""}): ${r.reason}`];
  if (r.verdict === "acted") {
    lines.push(
      `dying memcgs        ${formatCount(r.dyingBefore)} -> ${formatCount(r.dyingAfter)} (${formatCount(r.dyingFreed)} freed)`,
      `pinned page cache   ${formatBytes(r.pinnedBefore)} -> ${formatBytes(r.pinnedAfter)} (${formatBytes(r.pinnedFreed)} freed)`,
      `live cache evicted  ${formatBytes(r.liveCacheEvicted)}${r.method === "drop-caches" ? " (node-wide)" : " (below the parents it touched)"}; refaults of live cgroups since: ${formatCount(r.refaults)}`,
      `per GiB evicted     ${r.dyingFreedPerGiBEvicted === null ? "nothing live evicted" : `${formatCount(r.dyingFreedPerGiBEvicted)} dying memcgs, ${formatBytes(r.pinnedFreedPerGiBEvicted ?? 0)} of pins freed`}  (${r.seconds.toFixed(1)} s)`,
    );
  } else {
    lines.push(`dying memcgs        ${formatCount(r.dyingBefore)}; pinned page cache ${formatBytes(r.pinnedBefore)}`);
  }
  if (r.parents.length > 0) lines.push("parents:");
  for (const p of r.parents) {
    const after = p.pinnedAfter === null ? "" : ` -> ${formatBytes(p.pinnedAfter)}`;
    const live =
      p.liveCacheAfter === null
        ? formatBytes(p.liveCacheBefore)
        : `${formatBytes(p.liveCacheBefore)} -> ${formatBytes(p.liveCacheAfter)}`;
    lines.push(
      `  ${p.path}: pinned ${formatBytes(p.pinnedBefore)}${after}, live cache ${live}${p.steps > 0 ? `, ${p.steps} step(s), ${formatBytes(p.asked)} asked` : ""}${p.note ? `; ${p.note}` : ""}`,
    );
  }
  if (r.unreclaimable.length > 0) lines.push("not reclaimable (not retried):");
  for (const u of r.unreclaimable)
    lines.push(`  ${u.path}${u.bytes === null ? "" : ` ${formatBytes(u.bytes)}`}: ${u.reason}`);
  if (r.note) lines.push(r.note);
  return lines.join("\n") + "\n";
}
