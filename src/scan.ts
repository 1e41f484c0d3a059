import type { Host } from "./host/host.js";
import { NoMemoryControllerError, type HostReadError } from "./host/errors.js";
import { collectNode, type NodeFacts } from "./collect/node.js";
import { collectMemcg, type MemcgFacts } from "./collect/memcg.js";
import { collectControllers, type ControllerFacts } from "./collect/controllers.js";
import { podUidOf } from "./collect/pins.js";
import { add, NO_CHARGE, type Charge } from "./collect/charge-reader.js";
import { subtreeOf } from "./collect/subtrees.js";
import { nodeModel, type KernelModel } from "./knowledge/kernel-model.js";
import { dyingCost, type DyingCost } from "./analyze/dying-cost.js";
import type { Checked, ControllersBefore, PinReport, ScanReport, Snapshot, Thresholds } from "./analyze/report.js";
import { assess } from "./analyze/assess.js";
import { boundSwapPinnedIds } from "./collect/swap-ids.js";
import { memoryMissingReason } from "./analyze/boot-line.js";
import type { BootParams } from "./parsers/cmdline.js";
import type { SettledDying } from "./analyze/debounce.js";
import { readMemorySubsys } from "./collect/memory-subsys.js";
import { assertWithinKernelBounds } from "./analyze/bounds.js";
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
  /** serve: the dying memcgs that stayed through the debounce window (src/analyze/debounce.ts). */
  dyingSettled?: SettledDying | null;
  /** serve: the previous walk's dying count per controller (dying-controllers tells growth from a level). */
  controllersBefore?: ControllersBefore | null;
}

/** Below this many memcgs the per-memcg reads cost under ~20 ms, so "auto" does them. */
export const AUTO_DEEP_MAX = 2000;

export const DEFAULT_THRESHOLDS: Thresholds = { warn: 0.7, crit: 0.9, dyingWarn: 5000 };

/** A scan of one node: collect, then analyse. Throws HostReadError / ParseError when the host cannot be read. */
export function runScan(host: Host, opts: ScanOptions): ScanReport {
  const s = scanNode(host, opts);
  return withAssessment(s.snapshot, s.model, s.boot, opts.runtimes ?? null, opts.logs ?? null);
}

/** What a scan read, with the kernel model it read it by: explain assesses it again with more evidence. */
export interface ScannedNode {
  snapshot: Snapshot;
  model: KernelModel;
  boot: BootParams | null;
}

export function scanNode(host: Host, opts: ScanOptions): ScannedNode {
  const now = opts.now ?? Date.now;
  const started = process.hrtime.bigint();
  const node = collectNode(host);
  const model = nodeModel(node);
  if (node.memory === null) {
    throw new NoMemoryControllerError(
      node.mounts.source,
      memoryMissingReason(memoryLine(host), node.boot, model.memcgV1Optional.value),
    );
  }
  // Where dying memcgs hold IDs, kmem charges are one of the pins the assessment must name.
  const kmemMatters = model.kmemForkLeak.value !== false || model.dyingHoldIds.value !== false;
  const memcg = collectMemcg(host, node.memory, {
    perMemcg: {
      empty: true,
      kmem: node.memory.version === 1 && (opts.deep === true || kmemMatters),
      upTo: opts.deep === true || kmemMatters ? Infinity : AUTO_DEEP_MAX,
    },
    now: now(),
    emptyMinAgeMs: opts.emptyMinAgeMs,
    swap: (node.meminfo.swapTotalBytes ?? 0) > 0,
  });
  assertWithinKernelBounds(memcg, model.dyingHoldIds, model.placement.exact);
  const ctl = collectControllers(host, node.mounts, {
    walkUpTo: opts.deep === true ? Infinity : AUTO_DEEP_MAX,
    memory: memcg,
  });
  const snapshot = buildSnapshot(host, node, memcg, ctl, opts, now(), Number(process.hrtime.bigint() - started) / 1e9);
  // With swap on, swap entries can keep dying memcgs' IDs: bound how many (v2; read only where dying ones are).
  if ((node.meminfo.swapTotalBytes ?? 0) > 0 && memcg.dying > 0)
    snapshot.swapPinnedIds = boundSwapPinnedIds(host, node.memory);
  return { snapshot, model, boot: node.boot };
}

/** The memory line of /proc/cgroups, for the reason there is no memory controller; null when unreadable. */
function memoryLine(host: Host): { present: boolean; enabled: boolean } | null {
  try {
    return { present: true, enabled: readMemorySubsys(host).enabled };
  } catch (err) {
    return (err as HostReadError).code === "ENOMEM_CTRL" ? { present: false, enabled: false } : null;
  }
}

/** The assessment of a snapshot: explain calls it again once runtimes and logs are in. */
export function withAssessment(
  snapshot: Snapshot,
  model: KernelModel,
  boot: BootParams | null,
  runtimes: RuntimeVerdict[] | null,
  logs: LogReport | null,
): ScanReport {
  return {
    ...assess({ snapshot, model, boot, runtimes, logs }),
    explain: {
      runtimes:
        runtimes === null
          ? "not looked at (cgleak explain reads the runtimes' versions from their files, packages and processes without running them; --versions gives them)"
          : `${runtimes.length} verdicts`,
      logs:
        logs === null
          ? "not read (cgleak explain reads the usual logs; cgleak logs reads any)"
          : `${logs.sources.filter((s) => s.ok).length} sources read, ${logs.total} matching lines`,
    },
  };
}

interface Controllers {
  controllers: ControllerFacts[];
  walkSeconds: number;
}

function buildSnapshot(
  host: Host,
  node: NodeFacts,
  m: MemcgFacts,
  ctl: Controllers,
  opts: ScanOptions,
  at: number,
  seconds: number,
): Snapshot {
  const pinned = sumPinned(m);
  const cost = dyingCost(node.release, node.topology);
  return {
    schema: "cgleak.scan/v1",
    time: new Date(at).toISOString(),
    hostRoot: host.root,
    kernel: { release: node.release, cmdline: node.boot?.raw ?? null },
    cgroup: {
      mode: node.mode as "v1" | "v2" | "hybrid",
      memoryVersion: m.version,
      mountPoint: m.mountPoint,
      mountinfo: node.mounts.source,
    },
    memcg: {
      kernelTotal: m.kernelTotal,
      totalSource: m.totalSource,
      live: m.live,
      dying: m.dying,
      dyingSource: m.dyingSource,
      vanishedDuringWalk: m.vanished,
      ...(opts.dyingSettled !== undefined ? { dyingSettled: opts.dyingSettled } : {}),
    },
    dying: {
      count: m.dying,
      pinnedBytes: pinned,
      pinned: sumPinnedKinds(m),
      pins: pinReports(m),
      pinReads: m.pinReads,
      kernelBytesEach: cost.bytesEach,
      kernelBytes: m.dying * cost.bytesEach,
      costSource: costSource(cost, node),
      cost,
    },
    subtrees: [...m.subtrees].sort((a, b) => weight(b) - weight(a) || byCodeUnit(a.path, b.path)),
    controllers: ctl.controllers,
    ...(opts.controllersBefore !== undefined ? { controllersBefore: opts.controllersBefore } : {}),
    empty: m.perMemcg?.empty ? { checked: true, ...m.perMemcg.empty } : notChecked("empty"),
    kmem: m.perMemcg?.kmem ? { checked: true, ...m.perMemcg.kmem } : notChecked(m.version === 2 ? "v2" : "kmem"),
    meminfo: node.meminfo,
    thresholds: opts.thresholds,
    timings: {
      walkSeconds: m.walkSeconds,
      pinsSeconds: m.pinSeconds,
      controllersWalkSeconds: ctl.walkSeconds,
      scanSeconds: seconds,
    },
  };
}

function costSource(c: DyingCost, node: NodeFacts): string {
  const read = `${node.topology.cpusFrom}${c.nodes > 1 ? `, ${node.topology.nodesFrom}` : ""}`;
  const caveats = c.caveats.length === 0 ? "" : `; ${c.caveats.join("; ")}`;
  return `${c.model}: ${c.formula} (kernel ${c.series} fit; CPUs from ${read}; ${c.source})${caveats}`;
}

const NOT_CHECKED: Record<string, string> = {
  empty: `not checked: it reads a file in every memcg; it runs by default below ${AUTO_DEEP_MAX} memcgs, or with --deep`,
  kmem: "not checked: kmem charges matter where dying memcgs hold IDs (RHEL 7's 3.10, kernels before 4.8), which this kernel is not said to be (or use --deep)",
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

function sumPinnedKinds(m: MemcgFacts): Charge | null {
  const tops = m.subtrees.filter((s) => s.path === "/" || !s.path.includes("/"));
  if (tops.some((s) => s.pinned === null)) return null;
  return tops.reduce((sum: Charge, s) => add(sum, s.pinned ?? NO_CHARGE), NO_CHARGE);
}

function pinReports(m: MemcgFacts): PinReport[] {
  const size = (p: Charge): number => p.fileBytes + p.anonBytes + (p.swapBytes ?? 0);
  return m.pins
    .map((p) => ({ ...p, subtree: p.path === "" ? "/" : subtreeOf(p.path), podUid: podUidOf(p.path) }))
    .sort((a, b) => size(b) - size(a) || byCodeUnit(a.path, b.path));
}

/** Subtrees with the most memcgs, live or dying, come first. */
function weight(s: { live: number; dying: number | null }): number {
  return s.live + (s.dying ?? 0);
}

/**
 * Ties broken by UTF-16 code unit, not localeCompare: the first localeCompare loads ICU's collator,
 * 2.6 MB of RSS a daemon then keeps (measured in serve; cgroup names are ASCII anyway).
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
