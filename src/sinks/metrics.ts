import { Registry, Gauge, Counter, Histogram } from "prom-client";
import type { ScanReport } from "../analyze/report.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import type { Sample } from "../analyze/sample.js";
import type { Forecast } from "../analyze/forecast.js";

/** What the metrics read: the daemon's last tick (src/serve/tick.ts), handed over by export(). Never a fresh walk. */
export interface MetricsSource {
  report: ScanReport | null;
  sample: Sample | null;
  forecast: ForecastView | null;
  lastWalkMs: number | null;
  walks: number;
  collectors: Readonly<Partial<Record<string, { success: boolean; seconds: number }>>>;
  /** Log lines matching the leak signature since the daemon started (read at each walk). */
  logSignatureLines?: number;
}

/** `serve --trace`: the named dying memcgs by bounded labels, events the kernel dropped, each release. */
export interface TraceView {
  byWorkload(): Array<{ qos: string; owner_kind: string; count: number }>;
  lostEvents: number;
  /** Calls `listener` with each traced memcg's rmdir -> release lifetime, in seconds. */
  onReleased(listener: (seconds: number) => void): void;
}

/** rmdir -> release: 10 ms (an empty memcg, ~40 ms measured) up to a week (page cache nobody reclaims). */
export const LIFETIME_BUCKETS = [0.01, 0.1, 1, 10, 60, 600, 3600, 21_600, 86_400, 604_800];

/** The forecast fields metrics use. */
export type ForecastView = Pick<
  Forecast,
  | "leaking"
  | "ratePerSecond"
  | "rateLow"
  | "rateHigh"
  | "secondsToCap"
  | "secondsToCapLow"
  | "secondsToCapHigh"
  | "dying"
>;

/** Subtrees beyond this many are summed into subtree="other": pods come and go, series must not. */
export const TOP_SUBTREES = 20;

type Def = [name: string, help: string, labels: string[], fill: (g: Gauge, s: MetricsSource) => void];

export interface Metrics {
  readonly name: "metrics";
  registry: Registry;
  /** The text as bytes, encoded once per tick however many scrapes ask. */
  render(): Promise<Buffer>;
  /** The exporter's side: what the next render shows (its own reference; the daemon's state is not read). */
  export(src: MetricsSource): void;
  /** cgleak_exporter_errors_total for these exporters (each at 0 until it fails); answers the counting function. */
  exporterErrors(names: readonly string[]): (exporter: string) => void;
}

const NOTHING_YET: MetricsSource = {
  report: null,
  sample: null,
  forecast: null,
  lastWalkMs: null,
  walks: 0,
  collectors: {},
};

export function createMetrics(version: string, trace: TraceView | null = null): Metrics {
  const registry = new Registry();
  let src = NOTHING_YET;
  for (const [name, help, labelNames, fill] of gauges(version)) {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        // A metric that cannot be computed is left out; the rest of the scrape still answers.
        try {
          fill(this, src);
        } catch {
          this.reset();
        }
      },
    });
  }
  const log = new Counter({
    name: "cgleak_log_signature_lines_total",
    help: "Log lines with the memcg ID exhaustion signature (the host's usual logs, read at each walk) seen by this daemon.",
    registers: [registry],
  });
  const walks = new Counter({
    name: "cgleak_walks_total",
    help: "Walks of the memory hierarchy since the daemon started (every --walk-interval, or early when the counter moved).",
    registers: [registry],
  });
  const traced = trace !== null ? traceMetrics(registry, trace) : null;
  let errors: Counter | null = null;
  let failures = 0;
  // One render per tick: concurrent scrapes share it; an exporter's failure renders again.
  let cache: { src: MetricsSource | null; failures: number; text: Promise<Buffer> } = {
    src: null,
    failures: 0,
    text: Promise.resolve(Buffer.alloc(0)),
  };
  return {
    name: "metrics",
    registry,
    render() {
      if (cache.src === src && cache.failures === failures) return cache.text;
      log.reset();
      log.inc(src.logSignatureLines ?? 0);
      walks.reset();
      walks.inc(src.walks);
      traced?.beforeRender();
      cache = { src, failures, text: registry.metrics().then((t) => Buffer.from(t)) };
      return cache.text;
    },
    export(next) {
      src = next;
    },
    exporterErrors(names) {
      const c = (errors ??= new Counter({
        name: "cgleak_exporter_errors_total",
        help: "Ticks an exporter (metrics, api, store, npd, kube, sentinel, trace) failed to take since the daemon started; the others still took them.",
        labelNames: ["exporter"],
        registers: [registry],
      }));
      for (const exporter of names) c.inc({ exporter }, 0);
      return (exporter) => {
        c.inc({ exporter });
        failures++;
      };
    },
  };
}

/** Registered only with --trace: without it these would be zeros that look like measurements. */
function traceMetrics(registry: Registry, trace: TraceView): { beforeRender(): void } {
  const lifetime = new Histogram({
    name: "cgleak_memcg_dying_lifetime_seconds",
    help: "Seconds from a memcg's removal (cgroup_rmdir) to its release (cgroup_release), as traced.",
    buckets: LIFETIME_BUCKETS,
    registers: [registry],
  });
  trace.onReleased((seconds) => lifetime.observe(seconds));
  new Gauge({
    name: "cgleak_memcg_dying_cgroups_by_workload",
    help: "Dying memcgs named by the tracer, by QoS class (guaranteed, burstable, besteffort, none) and owner kind (pod, system, other): at most 12 series.",
    labelNames: ["qos", "owner_kind"],
    registers: [registry],
    collect() {
      this.reset();
      try {
        for (const w of trace.byWorkload()) this.set({ qos: w.qos, owner_kind: w.owner_kind }, w.count);
      } catch {
        this.reset();
      }
    },
  });
  const lost = new Counter({
    name: "cgleak_trace_lost_events_total",
    help: "Trace events the kernel dropped (ring buffer overflow) since the daemon started; the named set is resynced at the next walk.",
    registers: [registry],
  });
  return {
    beforeRender() {
      lost.reset();
      lost.inc(trace.lostEvents);
    },
  };
}

function set(g: Gauge, v: number | null | undefined, labels: Record<string, string> = {}): void {
  if (v !== null && v !== undefined && Number.isFinite(v)) g.set(labels, v);
}

function gauges(version: string): Def[] {
  const r = (s: MetricsSource): ScanReport | null => s.report;
  return [
    [
      "cgleak_memcg_kernel_cgroups",
      "Memory cgroups the kernel holds, live and dying (/proc/cgroups or root cgroup.stat); read every interval.",
      [],
      (g, s) => set(g, s.sample?.total),
    ],
    [
      "cgleak_memcg_cgroups",
      "Memory cgroups by state, from the last walk.",
      ["state"],
      (g, s) => {
        set(g, r(s)?.memcg.live, { state: "live" });
        set(g, r(s)?.memcg.dying, { state: "dying" });
      },
    ],
    [
      "cgleak_memcg_subtree_cgroups",
      `Memory cgroups per top-level subtree, the ${TOP_SUBTREES} largest and "other", from the last walk (dying only on cgroup v2).`,
      ["subtree", "state"],
      (g, s) => subtrees(g, r(s)),
    ],
    [
      "cgleak_cgroups_dying",
      'Dying cgroups per controller (v1: /proc/cgroups num_cgroups minus the hierarchy\'s live directories; v2: root cgroup.stat nr_dying_subsys_<ss>, or controller="cgroup2" for the whole hierarchy before 6.12), from the last walk; absent where not counted.',
      ["controller"],
      (g, s) => {
        for (const c of r(s)?.controllers ?? []) set(g, c.dying, { controller: c.name });
      },
    ],
    [
      "cgleak_memcg_ids_limit",
      `The memcg ID cap (MEM_CGROUP_ID_MAX, ${MEMCG_ID_CAP}).`,
      [],
      (g, s) => set(g, r(s)?.ids.cap),
    ],
    [
      "cgleak_memcg_ids_used",
      "Memcg IDs in use, low and high bound, from the last walk.",
      ["bound"],
      (g, s) => {
        set(g, r(s)?.ids.usedLow, { bound: "low" });
        set(g, r(s)?.ids.usedHigh, { bound: "high" });
      },
    ],
    [
      "cgleak_memcg_ids_used_ratio",
      "Share of the ID cap in use (high bound), from the last walk.",
      [],
      (g, s) => set(g, r(s)?.ids.usedRatio),
    ],
    [
      "cgleak_memcg_dying_pinned_bytes",
      "Page cache and shmem held by dying memcgs, from the last walk.",
      [],
      (g, s) => set(g, r(s)?.dying.pinnedBytes),
    ],
    [
      "cgleak_memcg_dying_pinned_kind_bytes",
      "What dying memcgs hold at every depth, by kind: file (page cache, shmem included), shmem, anon, swap (absent where not accounted); from the last walk.",
      ["kind"],
      (g, s) => {
        const p = r(s)?.dying.pinned;
        if (!p) return;
        set(g, p.fileBytes, { kind: "file" });
        set(g, p.shmemBytes, { kind: "shmem" });
        set(g, p.anonBytes, { kind: "anon" });
        set(g, p.swapBytes, { kind: "swap" });
      },
    ],
    [
      "cgleak_memcg_dying_kernel_bytes",
      "Estimated kernel memory the dying memcgs hold (count x measured cost each), from the last walk.",
      [],
      (g, s) => set(g, r(s)?.dying.kernelBytes),
    ],
    [
      "cgleak_memcg_empty_cgroups",
      "Memory cgroups with no process older than the minimum age, from the last walk; absent when not checked.",
      [],
      (g, s) => {
        const e = r(s)?.empty;
        if (e?.checked) set(g, e.count);
      },
    ],
    [
      "cgleak_memcg_kmem_enabled_cgroups",
      "Memory cgroups with kernel memory accounting on (cgroup v1), from the last walk; absent when not checked.",
      [],
      (g, s) => {
        const k = r(s)?.kmem;
        if (k?.checked) set(g, k.on);
      },
    ],
    [
      "cgleak_memcg_leak_rate_per_second",
      "Forecast growth of memcgs that are not freed, per second (estimate, low, high), recomputed every sample.",
      ["bound"],
      (g, s) => {
        set(g, s.forecast?.ratePerSecond, { bound: "estimate" });
        set(g, s.forecast?.rateLow, { bound: "low" });
        set(g, s.forecast?.rateHigh, { bound: "high" });
      },
    ],
    [
      "cgleak_memcg_time_to_cap_seconds",
      "Forecast seconds until the ID cap (estimate, low, high); absent when not leaking.",
      ["bound"],
      (g, s) => {
        if (!s.forecast?.leaking) return;
        set(g, s.forecast.secondsToCap, { bound: "estimate" });
        set(g, s.forecast.secondsToCapLow, { bound: "low" });
        set(g, s.forecast.secondsToCapHigh, { bound: "high" });
      },
    ],
    [
      "cgleak_memcg_dying_rate_per_second",
      "Forecast growth of dying memcgs per second where they hold no ID (they cost memory, not IDs); absent where they hold IDs.",
      [],
      (g, s) => set(g, s.forecast?.dying?.ratePerSecond),
    ],
    [
      "cgleak_memcg_dying_memory_growth_bytes_per_second",
      "Forecast growth of the memory dying memcgs hold (kernel memory and pinned cache), bytes per second; absent where they hold IDs.",
      [],
      (g, s) => {
        const perDay = s.forecast?.dying?.bytesPerDay;
        set(g, perDay === null || perDay === undefined ? null : perDay / 86_400);
      },
    ],
    [
      "cgleak_status",
      "1 for the node's status (ok, warning, critical) at the last walk, as cgleak scan prints it.",
      ["level"],
      (g, s) => {
        const level = r(s)?.status.level;
        if (level) g.set({ level }, 1);
      },
    ],
    [
      "cgleak_at_risk",
      "1 when the node is at risk now (at or past the warning mark, certainly or possibly, or mkdir failing in the logs), whatever the trend.",
      [],
      (g, s) => {
        const risk = r(s)?.assessment.risk;
        if (risk) g.set(risk.atRiskNow ? 1 : 0);
      },
    ],
    [
      "cgleak_reboot_required",
      "1 when the assessment's remedy is a reboot (what check --kured and the sentinel say).",
      [],
      (g, s) => {
        const reboot = r(s)?.assessment.reboot;
        if (reboot) g.set(reboot.needed ? 1 : 0);
      },
    ],
    [
      "cgleak_finding",
      "1 for each finding of `cgleak explain` in the last walk.",
      ["finding", "severity"],
      (g, s) => {
        for (const f of r(s)?.findings ?? []) g.set({ finding: f.id, severity: f.severity }, 1);
      },
    ],
    [
      "cgleak_collector_duration_seconds",
      "Seconds the collector took on its last run.",
      ["collector"],
      (g, s) => {
        for (const [name, c] of Object.entries(s.collectors)) if (c) g.set({ collector: name }, c.seconds);
      },
    ],
    [
      "cgleak_collector_success",
      "1 when the collector's last run succeeded, 0 when it threw.",
      ["collector"],
      (g, s) => {
        for (const [name, c] of Object.entries(s.collectors)) if (c) g.set({ collector: name }, c.success ? 1 : 0);
      },
    ],
    ["cgleak_build_info", "Always 1; the cgleak version as a label.", ["version"], (g) => g.set({ version }, 1)],
    [
      "cgleak_last_walk_timestamp_seconds",
      "When the last successful walk ran (Unix seconds).",
      [],
      (g, s) => set(g, s.lastWalkMs === null ? null : s.lastWalkMs / 1000),
    ],
    [
      "cgleak_last_sample_timestamp_seconds",
      "When the last sample was taken (Unix seconds).",
      [],
      (g, s) => set(g, s.sample === null ? null : s.sample.t / 1000),
    ],
  ];
}

/**
 * Top-level subtrees: live counts are per nested subtree (kubepods/burstable...), so they add up;
 * a v2 dying count comes from the subtree's own cgroup.stat, which already covers what is below.
 */
export function topLevel(report: ScanReport | null): Array<{ name: string; live: number; dying: number | null }> {
  const tops = new Map<string, { name: string; live: number; dying: number | null }>();
  for (const t of report?.subtrees ?? []) {
    if (t.path === "/") continue;
    const name = t.path.split("/")[0] as string;
    const top = tops.get(name) ?? tops.set(name, { name, live: 0, dying: null }).get(name)!;
    top.live += t.live;
    if (t.path === name) top.dying = t.dying;
  }
  // Ties by code unit: localeCompare would load ICU's collator, 2.6 MB the daemon then keeps.
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...tops.values()].sort((a, b) => b.live + (b.dying ?? 0) - (a.live + (a.dying ?? 0)) || byName(a, b));
}

function subtrees(g: Gauge, report: ScanReport | null): void {
  const tops = topLevel(report);
  const other = { live: 0, dying: null as number | null, n: 0 };
  tops.forEach((t, i) => {
    if (i < TOP_SUBTREES) {
      g.set({ subtree: t.name, state: "live" }, t.live);
      if (t.dying !== null) g.set({ subtree: t.name, state: "dying" }, t.dying);
      return;
    }
    other.n++;
    other.live += t.live;
    if (t.dying !== null) other.dying = (other.dying ?? 0) + t.dying;
  });
  if (other.n === 0) return;
  g.set({ subtree: "other", state: "live" }, other.live);
  if (other.dying !== null) g.set({ subtree: "other", state: "dying" }, other.dying);
}
