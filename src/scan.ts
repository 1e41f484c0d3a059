import type { Host } from "./host/host.js";
import { NoMemoryControllerError } from "./host/errors.js";
import { collectNode, type NodeFacts } from "./collect/node.js";
import { collectMemcg, type MemcgFacts } from "./collect/memcg.js";
import { kernelModel, type KernelModel } from "./knowledge/kernel-model.js";
import { MEMCG_COSTS } from "./knowledge/costs.js";
import { idUse } from "./analyze/ids.js";
import { scanStatus } from "./analyze/status.js";
import type { Checked, ScanReport, Thresholds } from "./analyze/report.js";
import { diagnose } from "./analyze/diagnose.js";
import type { RuntimeVerdict } from "./knowledge/runtime-facts.js";
import type { LogReport } from "./logs/scan-logs.js";

export interface ScanOptions {
  thresholds: Thresholds;
  /** Per-memcg files: "auto" reads them when the hierarchy is small enough to stay cheap. */
  deep: boolean | "auto";
  emptyMinAgeMs: number;
  now?: () => number;
  /** Runtime verdicts (probed or given with --versions), null when not looked at. */
  runtimes?: RuntimeVerdict[] | null;
  logs?: LogReport | null;
}

/** Below this many memcgs the per-memcg reads cost under ~20 ms, so "auto" does them. */
export const AUTO_DEEP_MAX = 2000;

export const DEFAULT_THRESHOLDS: Thresholds = { warn: 0.7, crit: 0.9, dyingWarn: 5000 };

/** A scan of one node: collect, then analyse. Throws HostReadError / ParseError when the host cannot be read. */
export function runScan(host: Host, opts: ScanOptions): ScanReport {
  const now = opts.now ?? Date.now;
  const started = process.hrtime.bigint();
  const node = collectNode(host);
  if (node.memory === null) {
    throw new NoMemoryControllerError(node.mounts.source);
  }
  const model = kernelModel(node.release, node.boot ?? undefined);
  const kmemMatters = model.kmemForkLeak.value !== false;
  const memcg = collectMemcg(host, node.memory, {
    perMemcg: {
      empty: true,
      kmem: node.memory.version === 1 && (opts.deep === true || kmemMatters),
      upTo: opts.deep === true || kmemMatters ? Infinity : AUTO_DEEP_MAX,
    },
    now: now(),
    emptyMinAgeMs: opts.emptyMinAgeMs,
  });
  const base = buildReport(host, node, model, memcg, opts, now(), Number(process.hrtime.bigint() - started) / 1e9);
  return withDiagnosis(base, model, opts.runtimes ?? null, opts.logs ?? null);
}

/** Adds (or redoes) the diagnosis: explain calls it again once runtimes and logs are in. */
export function withDiagnosis(r: Omit<ScanReport, "findings" | "explain">, model: KernelModel, runtimes: RuntimeVerdict[] | null, logs: LogReport | null): ScanReport {
  return {
    ...r,
    findings: diagnose({ report: r, model, runtimes, logs }),
    explain: {
      runtimes: runtimes === null ? "not looked at (cgleak explain reads the runtimes' versions from their files, packages and processes without running them; --versions gives them)" : `${runtimes.length} verdicts`,
      logs: logs === null ? "not read (cgleak explain reads the usual logs; cgleak logs reads any)" : `${logs.sources.filter((s) => s.ok).length} sources read, ${logs.total} matching lines`,
    },
  };
}

function buildReport(host: Host, node: NodeFacts, model: KernelModel, m: MemcgFacts, opts: ScanOptions, at: number, seconds: number): Omit<ScanReport, "findings" | "explain"> {
  const swapOn = (node.meminfo.swapTotalBytes ?? 0) > 0;
  const ids = idUse(m.live, m.dying, model.dyingHoldIds, swapOn);
  const pinned = sumPinned(m);
  return {
    schema: "cgleak.scan/v1",
    time: new Date(at).toISOString(),
    hostRoot: host.root,
    kernel: { release: node.release, cmdline: node.boot?.raw ?? null },
    cgroup: { mode: node.mode as "v1" | "v2" | "hybrid", memoryVersion: m.version, mountPoint: m.mountPoint, mountinfo: node.mounts.source },
    memcg: { kernelTotal: m.kernelTotal, totalSource: m.totalSource, live: m.live, dying: m.dying, dyingSource: m.dyingSource, vanishedDuringWalk: m.vanished },
    ids,
    dying: {
      count: m.dying,
      pinnedBytes: pinned,
      kernelBytesEach: MEMCG_COSTS.dyingKernelBytes,
      kernelBytes: m.dying * MEMCG_COSTS.dyingKernelBytes,
      costSource: MEMCG_COSTS.source,
    },
    subtrees: [...m.subtrees].sort((a, b) => weight(b) - weight(a) || a.path.localeCompare(b.path)),
    empty: m.perMemcg?.empty ? { checked: true, ...m.perMemcg.empty } : notChecked("empty"),
    kmem: m.perMemcg?.kmem ? { checked: true, ...m.perMemcg.kmem } : notChecked(m.version === 2 ? "v2" : "kmem"),
    meminfo: node.meminfo,
    thresholds: opts.thresholds,
    status: scanStatus(ids, m.dying, pinned, opts.thresholds),
    timings: { walkSeconds: m.walkSeconds, scanSeconds: seconds },
  };
}

const NOT_CHECKED: Record<string, string> = {
  empty: `not checked: it reads a file in every memcg; it runs by default below ${AUTO_DEEP_MAX} memcgs, or with --deep`,
  kmem: "not checked: this kernel accounts kernel memory in every memcg and frees such memcgs; it matters on RHEL 7 3.10 kernels (or use --deep)",
  v2: "not applicable: cgroup v2 always accounts kernel memory and has no kmem switch",
};

function notChecked<T>(why: string): Checked<T> {
  return { checked: false, reason: NOT_CHECKED[why] ?? why };
}

function sumPinned(m: MemcgFacts): number | null {
  // Subtrees nest only under kubepods*; the top-level kubepods entry already includes its QoS children.
  const tops = m.subtrees.filter((s) => s.path === "/" || !s.path.includes("/"));
  if (tops.some((s) => s.pinnedBytes === null)) return null;
  return tops.reduce((sum, s) => sum + (s.pinnedBytes ?? 0), 0);
}

/** Subtrees with the most memcgs, live or dying, come first. */
function weight(s: { live: number; dying: number | null }): number {
  return s.live + (s.dying ?? 0);
}
