import type { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { NoMemoryControllerError } from "../host/errors.js";
import { runScan, type ScanOptions } from "../scan.js";
import { settledDying } from "../analyze/debounce.js";

export const DEFAULT_DYING_DEBOUNCE_MS = 60_000;
import type { ScanReport } from "../analyze/report.js";
import type { Sample } from "../analyze/sample.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import { readCheapCount, readBootId, type CheapCount } from "./cheap.js";
import { forecast, type Forecast } from "../analyze/forecast.js";
import type { NodeState, Store } from "../store/store.js";
import { Persistence } from "./db.js";
import type { TraceView } from "../sinks/metrics.js";

export type CollectorName = "cheap" | "walk" | "store" | "forecast";

export interface CollectorStatus { success: boolean; seconds: number; error: string | null; atMs: number }

export interface SamplerOptions {
  host: Host;
  scan: ScanOptions;
  walkIntervalMs: number;
  windowMs: number;
  /** Opens the database (throws StoreError); null keeps samples in memory only. */
  openStore: (() => Store) | null;
  now?: () => number;
  log: (line: string) => void;
  /** The full scan with the host's logs (the daemon's Walker); tests run runScan alone by default. */
  walk?: (extra: Pick<ScanOptions, "dyingSettled">) => Promise<ScanReport>;
  /** Dying memcgs count for alarms once they have stayed this long (kernels that count from rmdir); default 60 s. */
  dyingDebounceMs?: number;
  /** After every tick, with whether it walked: the node's condition, the sentinel, the tracer. */
  onTick?: (walked: boolean) => void;
}

/** A walk runs early when the cheap count moved this much since the last walk. */
export function walkTrigger(total: number): number {
  return Math.max(100, Math.round(total * 0.01));
}

/**
 * The daemon's state: one tick reads the cheap counter, walks only when due (time, a big move, a
 * reboot), stores the sample and recomputes the forecast. Everything served comes from here.
 */
export class Sampler {
  report: ScanReport | null = null;
  sample: Sample | null = null;
  forecast: Forecast | null = null;
  samples: Sample[] = [];
  lastWalkMs: number | null = null;
  /** Walks finished since start: on the interval, or early because the counter moved. */
  walks = 0;
  /** Bumped every tick: a scrape can reuse text rendered for the same version. */
  version = 0;
  readonly collectors = new Map<CollectorName, CollectorStatus>();
  /** `--trace`: what the metrics read of the tracer (set by the daemon). */
  trace: TraceView | null = null;
  /** Log lines with the leak signature seen since start (cgleak_log_signature_lines_total). */
  logSignatureLines = 0;
  readonly db: Persistence;
  private hierarchy: CgroupHierarchy | null = null;
  private walkTotal = 0;
  private walking = false;
  private storedHoldIds: NodeState["dyingHoldIds"] | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SamplerOptions) {
    this.now = o.now ?? Date.now;
    this.db = new Persistence(o.openStore, (fn, note) => this.run("store", fn, undefined, note));
    // A restart picks up the stored window, so the forecast does not start from nothing.
    const t = this.now();
    const old = this.db.resume(t - o.windowMs, t);
    this.samples = old.samples;
    this.storedHoldIds = old.holdIds;
    this.sample = this.samples[this.samples.length - 1] ?? null;
    if (this.samples.length > 1) this.recompute(t);
  }

  /** A tick that starts a walk awaits it; ticks meanwhile take cheap samples and start no walk. */
  async tick(): Promise<void> {
    const t = this.now();
    const cheap = this.run("cheap", () => this.readCheap());
    if (!this.walking && this.walkDue(t, cheap)) {
      this.walking = true;
      const extra = { dyingSettled: settledDying(this.samples, t, this.o.dyingDebounceMs ?? DEFAULT_DYING_DEBOUNCE_MS) };
      const r = await this.runAsync("walk", this.o.walk ? () => (this.o.walk as NonNullable<SamplerOptions["walk"]>)(extra) : async () => runScan(this.o.host, { ...this.o.scan, ...extra, now: this.now }));
      this.walking = false;
      if (r !== undefined) {
        const done = this.now();
        this.walked(r, done);
        this.record(this.toSample(done, { total: r.memcg.kernelTotal, dying: r.memcg.dying, bootId: cheap?.bootId ?? this.sample?.bootId ?? "unknown" }, r), done);
        this.version++;
        this.after(true);
        return;
      }
    }
    if (cheap !== undefined) this.record(this.toSample(t, cheap, null), t);
    this.version++;
    this.after(false);
  }

  /** A hook that throws is logged; the tick, and the next one, go on. */
  private after(walked: boolean): void {
    try {
      this.o.onTick?.(walked);
    } catch (err) {
      this.o.log(`after tick: ${(err as Error).message}`);
    }
  }

  private readCheap(): CheapCount & { bootId: string } {
    this.hierarchy ??= collectNode(this.o.host).memory;
    if (this.hierarchy === null) throw new NoMemoryControllerError("/proc/self/mountinfo");
    return { ...readCheapCount(this.o.host, this.hierarchy), bootId: readBootId(this.o.host) };
  }

  private walkDue(t: number, cheap: { total: number; bootId: string } | undefined): boolean {
    if (this.lastWalkMs === null || t - this.lastWalkMs >= this.o.walkIntervalMs) return true;
    if (cheap === undefined) return false;
    return cheap.bootId !== this.sample?.bootId || Math.abs(cheap.total - this.walkTotal) > walkTrigger(this.walkTotal);
  }

  private walked(r: ScanReport, t: number): void {
    const before = this.report;
    this.report = r;
    this.lastWalkMs = t;
    this.walks++;
    this.walkTotal = r.memcg.kernelTotal;
    const changed = before?.ids.dyingHoldIds !== r.ids.dyingHoldIds || before?.kernel.release !== r.kernel.release
      || before?.status.level !== r.status.level || before?.assessment.risk.atRiskNow !== r.assessment.risk.atRiskNow;
    if (changed) {
      // `cgleak forecast` reads the database alone: which series holds IDs, and the assessment's risk.
      this.db.putNodeState({ dyingHoldIds: r.ids.dyingHoldIds, release: r.kernel.release, level: r.status.level, risk: r.assessment.risk, at: r.time });
    }
  }

  /** Walk figures only when this tick walked; a cheap tick leaves them null (Sample's contract). */
  private toSample(t: number, c: CheapCount & { bootId: string }, r: ScanReport | null): Sample {
    const holds = this.report?.ids.dyingHoldIds === true;
    return {
      t,
      bootId: c.bootId,
      total: c.total,
      live: r?.memcg.live ?? null,
      dying: r?.memcg.dying ?? c.dying,
      idsUsed: r?.ids.usedHigh ?? (holds ? c.total : null),
      pinnedBytes: r?.dying.pinnedBytes ?? null,
    };
  }

  private record(s: Sample, t: number): void {
    this.sample = s;
    this.samples.push(s);
    const from = t - this.o.windowMs;
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop] as Sample).t < from) drop++;
    if (drop > 0) this.samples.splice(0, drop);
    this.db.persist(s);
    this.recompute(t);
  }

  private recompute(t: number): void {
    const f = this.run("forecast", () => forecast(this.samples, {
      nowMs: t,
      windowMs: this.o.windowMs,
      cap: this.report?.ids.cap ?? MEMCG_ID_CAP,
      // Before the first walk of this run, the stored state tells which series holds IDs.
      dyingHoldIds: this.report?.ids.dyingHoldIds ?? this.storedHoldIds ?? "unknown",
    }));
    if (f !== undefined) this.forecast = f;
  }

  /** Runs one collector: times it, and on a throw records success 0 and logs once per new error. */
  run<T>(name: CollectorName, fn: () => T, t0 = process.hrtime.bigint(), note?: (err: unknown) => string): T | undefined {
    try {
      const v = fn();
      const was = this.collectors.get(name);
      if (was && !was.success) this.o.log(`${name}: recovered`);
      this.collectors.set(name, { success: true, seconds: secondsSince(t0), error: null, atMs: this.now() });
      return v;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.fail(name, secondsSince(t0), note ? `${msg}; ${note(err)}` : msg);
      return undefined;
    }
  }

  async runAsync<T>(name: CollectorName, fn: () => Promise<T>): Promise<T | undefined> {
    const t0 = process.hrtime.bigint();
    try {
      const v = await fn();
      return this.run(name, () => v, t0);
    } catch (err) {
      return this.run(name, () => { throw err; }, t0);
    }
  }

  private fail(name: CollectorName, seconds: number, error: string): void {
    const was = this.collectors.get(name);
    if (was?.error !== error) this.o.log(`${name} failed: ${error}`);
    this.collectors.set(name, { success: false, seconds, error, atMs: this.now() });
  }
}

function secondsSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
