import { formatBytes, formatCount, formatDuration, formatPercent } from "../analyze/format.js";
import type { FleetRow } from "./rank.js";

const HEAD = ["NODE", "STATUS", "IDS USED", "HEADROOM", "DYING", "PINNED", "LEAK/H", "TIME TO CAP", "TOP FINDING"];

/** A plain table, one node per line, columns padded; "-" where a figure is absent. */
export function renderFleet(rows: FleetRow[], prometheus: string): string {
  if (rows.length === 0)
    return `no cgleak series in ${prometheus} (is cgleak serve scraped? metric cgleak_memcg_ids_limit)\n`;
  const cells = rows.map((r) => [
    r.node,
    r.status === null ? "-" : `${r.status.toUpperCase()}${r.atRisk ? " (at risk now)" : ""}`,
    r.usedRatio === null ? "-" : formatPercent(r.usedRatio),
    r.headroom === null ? "-" : formatCount(r.headroom),
    r.dying === null ? "-" : formatCount(r.dying),
    r.pinnedBytes === null ? "-" : formatBytes(r.pinnedBytes),
    r.leakPerHour === null ? "-" : formatCount(r.leakPerHour),
    r.secondsToCap === null ? (r.atRisk ? "at risk now" : "not leaking") : formatDuration(r.secondsToCap),
    r.topFinding === null
      ? "-"
      : `${r.topFinding.id} (${r.topFinding.severity})${r.findings > 1 ? ` +${r.findings - 1}` : ""}`,
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(HEAD), ...cells.map(line)].join("\n") + "\n";
}
