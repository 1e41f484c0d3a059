import type { Topology } from "../collect/topology.js";
import { DYING_COST_FITS, DYING_COST_MODEL_VERSION, MEMSTAT_READ, type DyingCostFit } from "../knowledge/costs.js";
import { parseRelease } from "../knowledge/kernel-release.js";
import { formatBytes, formatCount } from "./format.js";

/** The kernel memory one dying memcg holds on this node, and how it was derived. */
export interface DyingCost {
  bytesEach: number;
  model: string;
  /** The measured kernel series the figure comes from. */
  series: string;
  cpus: number;
  nodes: number;
  fixedBytes: number;
  perCpuBytes: number;
  /** "fixed 12.7 KiB + 2.2 KiB x 2 CPUs". */
  formula: string;
  /** Where the figure may be off: another kernel series, CPUs or nodes not read. */
  caveats: string[];
  source: string;
}

/**
 * fixed + perCpu x CPUs + (nodes - 1) x (perExtraNode + perCpuPerExtraNode x CPUs), from the
 * fit of the nearest measured kernel series. An unknown CPU count is taken as 1: a lower bound.
 */
export function dyingCost(release: string, topo: Topology, fits: readonly DyingCostFit[] = DYING_COST_FITS): DyingCost {
  const caveats: string[] = [];
  const fit = nearestFit(release, fits, caveats);
  const cpus = topo.cpus ?? 1;
  if (topo.cpus === null) caveats.push(`CPU count unknown (${topo.cpusFrom}): figured for 1 CPU, a lower bound`);
  else if (topo.cpusFrom.includes("online CPUs")) caveats.push(`CPUs from ${topo.cpusFrom}`);
  const nodes = topo.nodes ?? 1;
  if (topo.nodes === null) caveats.push(`NUMA nodes unknown (${topo.nodesFrom}): figured for 1 node, a lower bound`);
  const extra = nodes - 1;
  const nodeBytes = extra === 0 ? 0 : (fit.perExtraNodeBytes ?? 0) + cpus * (fit.perCpuPerExtraNodeBytes ?? 0);
  if (extra > 0 && (fit.perExtraNodeBytes === null || fit.perCpuPerExtraNodeBytes === null))
    caveats.push(
      `${nodes} NUMA nodes: the per-node part was not measured on ${fit.series} and is left out (a lower bound)`,
    );
  const bytesEach = Math.round(fit.fixedBytes + cpus * fit.perCpuBytes + extra * nodeBytes);
  const nodePart =
    extra === 0 || nodeBytes === 0 ? "" : ` + ${formatBytes(nodeBytes)} x ${extra} more node${extra > 1 ? "s" : ""}`;
  return {
    bytesEach,
    model: DYING_COST_MODEL_VERSION,
    series: fit.series,
    cpus,
    nodes,
    fixedBytes: fit.fixedBytes,
    perCpuBytes: fit.perCpuBytes,
    formula: `${formatBytes(fit.fixedBytes)} + ${formatBytes(fit.perCpuBytes)} x ${cpus} CPU${cpus === 1 ? "" : "s"}${nodePart}`,
    caveats,
    source: fit.source,
  };
}

/** The fit of this kernel's series, else the nearest by version, with a caveat saying so. */
export function nearestFit(release: string, fits: readonly DyingCostFit[], caveats: string[]): DyingCostFit {
  const r = parseRelease(release);
  const key = (major: number, minor: number): number => major * 1000 + minor;
  const seriesKey = (s: string): number => {
    const [a, b] = s.split(".").map(Number);
    return key(a ?? 0, b ?? 0);
  };
  if (r.major === null || r.minor === null) {
    const last = fits[fits.length - 1] as DyingCostFit;
    caveats.push(`kernel ${release} could not be placed: the ${last.series} figures are used`);
    return last;
  }
  const k = key(r.major, r.minor);
  const best = [...fits].sort(
    (a, b) =>
      Math.abs(seriesKey(a.series) - k) - Math.abs(seriesKey(b.series) - k) ||
      seriesKey(b.series) - seriesKey(a.series),
  )[0] as DyingCostFit;
  if (seriesKey(best.series) !== k)
    caveats.push(
      `kernel ${r.major}.${r.minor} was not measured: the nearest measured series, ${best.series}, is used (struct sizes differ between versions)`,
    );
  return best;
}

/**
 * What the dying memcgs cost in CPU on this kernel, as evidence: a read of memory.stat (cAdvisor
 * and the kubelet read it every few seconds) walked every dying memcg before rstat (5.13), and
 * does not since; measured here up to 50,000 dying.
 */
export function memstatEvidence(release: string, dying: number): { from: string; value: string } {
  const r = parseRelease(release);
  const before = r.major !== null && r.minor !== null && (r.major < 5 || (r.major === 5 && r.minor < 13));
  if (before) {
    return {
      from: "kernel commit 2d146aa3aa84 (5.13, mm: memcontrol: switch to rstat)",
      value: `before 5.13 every read of memory.stat walks all ${formatCount(dying)} dying memcgs: cAdvisor and the kubelet pay it at each read`,
    };
  }
  const range = MEMSTAT_READ.points.map((p) => p.ms);
  return {
    from: MEMSTAT_READ.source,
    value: `memory.stat reads do not slow down with dying memcgs on rstat kernels (5.13+): ${Math.min(...range)}-${Math.max(...range)} ms with 0 to ${formatCount(MEMSTAT_READ.points[MEMSTAT_READ.points.length - 1]!.dying)} dying on ${MEMSTAT_READ.kernel}`,
  };
}
