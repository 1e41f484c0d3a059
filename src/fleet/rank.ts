import type { VectorSample } from "./prometheus.js";

/** The queries `cgleak fleet` runs; metric names are those of src/sinks/metrics.ts (docs/metrics.md). */
export const FLEET_QUERIES = {
  cap: "cgleak_memcg_ids_limit",
  used: 'cgleak_memcg_ids_used{bound="high"}',
  ratio: "cgleak_memcg_ids_used_ratio",
  dying: 'cgleak_memcg_cgroups{state="dying"}',
  pinned: "cgleak_memcg_dying_pinned_bytes",
  ttc: 'cgleak_memcg_time_to_cap_seconds{bound="estimate"}',
  ttcLow: 'cgleak_memcg_time_to_cap_seconds{bound="low"}',
  rate: 'cgleak_memcg_leak_rate_per_second{bound="estimate"}',
  findings: "cgleak_finding == 1",
  atRisk: "cgleak_at_risk",
  status: "cgleak_status == 1",
} as const;

export type FleetAnswers = Record<keyof typeof FLEET_QUERIES, VectorSample[]>;

export interface FleetRow {
  node: string;
  usedRatio: number | null;
  headroom: number | null;
  dying: number | null;
  pinnedBytes: number | null;
  leakPerHour: number | null;
  secondsToCap: number | null;
  secondsToCapLow: number | null;
  topFinding: { id: string; severity: string } | null;
  findings: number;
  /** The node's own assessment (cgleak_at_risk, cgleak_status): null from a cgleak too old to export them. */
  atRisk: boolean | null;
  status: string | null;
}

const SEVERITY: Record<string, number> = { critical: 3, warning: 2, info: 1 };

/** The node a series belongs to: the `node` label the ServiceMonitor adds, else the scrape target. */
export function nodeOf(m: Record<string, string>): string {
  return m.node ?? m.instance ?? "unknown";
}

/** One row per node, most urgent first: at risk now, then least headroom, then soonest at the cap, then name. */
export function rankFleet(a: FleetAnswers): FleetRow[] {
  const rows = new Map<string, FleetRow>();
  const row = (m: Record<string, string>): FleetRow => {
    const n = nodeOf(m);
    let r = rows.get(n);
    if (!r)
      rows.set(
        n,
        (r = {
          node: n,
          usedRatio: null,
          headroom: null,
          dying: null,
          pinnedBytes: null,
          leakPerHour: null,
          secondsToCap: null,
          secondsToCapLow: null,
          topFinding: null,
          findings: 0,
          atRisk: null,
          status: null,
        }),
      );
    return r;
  };
  const used = new Map(a.used.map((s) => [nodeOf(s.metric), s.value]));
  for (const s of a.cap)
    row(s.metric).headroom = used.has(nodeOf(s.metric))
      ? Math.max(0, s.value - (used.get(nodeOf(s.metric)) as number))
      : null;
  for (const s of a.ratio) row(s.metric).usedRatio = s.value;
  for (const s of a.dying) row(s.metric).dying = s.value;
  for (const s of a.pinned) row(s.metric).pinnedBytes = s.value;
  for (const s of a.rate) row(s.metric).leakPerHour = s.value * 3600;
  for (const s of a.ttc) row(s.metric).secondsToCap = s.value;
  for (const s of a.ttcLow) row(s.metric).secondsToCapLow = s.value;
  for (const s of a.findings) addFinding(row(s.metric), s.metric);
  for (const s of a.atRisk ?? []) row(s.metric).atRisk = s.value === 1;
  for (const s of a.status ?? []) row(s.metric).status = s.metric.level ?? null;
  return [...rows.values()].sort(byUrgency);
}

function addFinding(r: FleetRow, m: Record<string, string>): void {
  r.findings++;
  const f = { id: m.finding ?? "unknown", severity: m.severity ?? "unknown" };
  if (r.topFinding === null || (SEVERITY[f.severity] ?? 0) > (SEVERITY[r.topFinding.severity] ?? 0)) r.topFinding = f;
}

function byUrgency(a: FleetRow, b: FleetRow): number {
  const inf = (v: number | null): number => v ?? Infinity;
  return (
    Number(b.atRisk === true) - Number(a.atRisk === true) ||
    inf(a.headroom) - inf(b.headroom) ||
    inf(a.secondsToCap) - inf(b.secondsToCap) ||
    a.node.localeCompare(b.node)
  );
}
