import type { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { NoMemoryControllerError } from "../host/errors.js";
import { runScan, type ScanOptions } from "../scan.js";
import { settledDying } from "../analyze/debounce.js";
import type { ControllersBefore, ScanReport } from "../analyze/report.js";
import type { Sample } from "../analyze/sample.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import { readCheapCount, type CheapCount } from "./cheap.js";
import { readBootId } from "../collect/boot-id.js";
import { forecast, type Forecast } from "../analyze/forecast.js";
import type { NodeState } from "../store/store.js";
import type { Persistence } from "./db.js";
import type { Collectors } from "./collectors.js";
import { freezeDeep, type Tick } from "./tick.js";

export const DEFAULT_DYING_DEBOUNCE_MS = 60_000;
export type { CollectorName, CollectorStatus } from "./tick.js";

export interface SamplerOptions {
  host: Host;
  scan: ScanOptions;
  walkIntervalMs: number;
  windowMs: number;
  /** The database (src/serve/db.ts): the window resumes from it, every sample goes to it. */
  db: Persistence;
  collectors: Collectors;
  now?: () => number;
  /** The full scan with the host's logs (the daemon's Walker); tests run runScan alone by default. */
  walk?: (extra: Pick<ScanOptions, "dyingSettled" | "controllersBefore">) => Promise<ScanReport>;
  /** Dying memcgs count for alarms once they have stayed this long (kernels that count from rmdir); default 60 s. */
  dyingDebounceMs?: number;
  /** Log lines with the leak signature seen since start (the Walker tails the logs before each walk). */
  logSignatureLines?: () => number;
}

/** A walk runs early when the cheap count moved this much since the last walk. */
export function walkTrigger(total: number): number {
  return Math.max(100, Math.round(total * 0.01));
}

/**
 * Makes serve's ticks: one reads the cheap counter, walks only when due (time, a big move, a
 * reboot), stores the sample and recomputes the forecast, and answers a frozen Tick. Its state is
 * its own; everything served comes from the ticks it hands out.
 */
export class Sampler {
  private report: ScanReport | null = null;
  private sample: Sample | null = null;
  private forecast: Forecast | null = null;
  private samples: Sample[] = [];
  private lastWalkMs: number | null = null;
  private walks = 0;
  private seq = 0;
  private last: Tick | undefined;
  private hierarchy: CgroupHierarchy | null = null;
  private walkTotal = 0;
  private walking = false;
  private storedHoldIds: NodeState["dyingHoldIds"] | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SamplerOptions) {
    this.now = o.now ?? Date.now;
    // A restart picks up the stored window, so the forecast does not start from nothing.
    const t = this.now();
    const old = o.db.resume(t - o.windowMs, t);
    this.samples = old.samples.map((s) => Object.freeze(s));
    this.storedHoldIds = old.holdIds;
    this.sample = this.samples[this.samples.length - 1] ?? null;
    if (this.samples.length > 1) this.recompute(t);
  }

  /** The last tick made; undefined before the first. */
  latest(): Tick | undefined {
    return this.last;
  }

  /** A tick that starts a walk awaits it; ticks meanwhile take cheap samples and start no walk. */
  async tick(): Promise<Tick> {
    const t = this.now();
    const cheap = this.o.collectors.run("cheap", () => this.readCheap());
    if (!this.walking && this.walkDue(t, cheap)) {
      const r = await this.walk(t);
      if (r !== undefined) {
        const done = this.now();
        this.walked(r, done);
        const c = {
          total: r.memcg.kernelTotal,
          dying: r.memcg.dying,
          bootId: cheap?.bootId ?? this.sample?.bootId ?? "unknown",
        };
        this.record(this.toSample(done, c, r), done);
        return this.made(done, true);
      }
    }
    if (cheap !== undefined) this.record(this.toSample(t, cheap, null), t);
    return this.made(t, false);
  }

  private async walk(t: number): Promise<ScanReport | undefined> {
    this.walking = true;
    const extra = {
      dyingSettled: settledDying(this.samples, t, this.o.dyingDebounceMs ?? DEFAULT_DYING_DEBOUNCE_MS),
      controllersBefore: controllersOf(this.report, this.lastWalkMs),
    };
    const walk = this.o.walk ?? (async () => runScan(this.o.host, { ...this.o.scan, ...extra, now: this.now }));
    try {
      return await this.o.collectors.runAsync("walk", () => walk(extra));
    } finally {
      this.walking = false;
    }
  }

  private made(atMs: number, walked: boolean): Tick {
    this.last = freezeDeep<Tick>({
      seq: ++this.seq,
      atMs,
      walked,
      report: this.report,
      sample: this.sample,
      forecast: this.forecast,
      window: this.samples.slice(),
      lastWalkMs: this.lastWalkMs,
      walks: this.walks,
      logSignatureLines: this.o.logSignatureLines?.() ?? 0,
      collectors: this.o.collectors.snapshot(),
    });
    return this.last;
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
    const changed =
      before?.ids.dyingHoldIds !== r.ids.dyingHoldIds ||
      before?.kernel.release !== r.kernel.release ||
      before?.status.level !== r.status.level ||
      before?.assessment.risk.atRiskNow !== r.assessment.risk.atRiskNow;
    if (changed) {
      // `cgleak forecast` reads the database alone: which series holds IDs, and the assessment's risk.
      this.o.db.putNodeState({
        dyingHoldIds: r.ids.dyingHoldIds,
        release: r.kernel.release,
        level: r.status.level,
        risk: r.assessment.risk,
        at: r.time,
      });
    }
  }

  /** Walk figures only when this tick walked; a cheap tick leaves them null (Sample's contract). */
  private toSample(t: number, c: CheapCount & { bootId: string }, r: ScanReport | null): Sample {
    const holds = this.report?.ids.dyingHoldIds === true;
    return Object.freeze({
      t,
      bootId: c.bootId,
      total: c.total,
      live: r?.memcg.live ?? null,
      dying: r?.memcg.dying ?? c.dying,
      idsUsed: r?.ids.usedHigh ?? (holds ? c.total : null),
      pinnedBytes: r?.dying.pinnedBytes ?? null,
    });
  }

  private record(s: Sample, t: number): void {
    this.sample = s;
    this.samples.push(s);
    const from = t - this.o.windowMs;
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop] as Sample).t < from) drop++;
    if (drop > 0) this.samples.splice(0, drop);
    this.o.db.persist(s);
    this.recompute(t);
  }

  private recompute(t: number): void {
    const f = this.o.collectors.run("forecast", () =>
      forecast(this.samples, {
        nowMs: t,
        windowMs: this.o.windowMs,
        cap: this.report?.ids.cap ?? MEMCG_ID_CAP,
        // Before the first walk of this run, the stored state tells which series holds IDs.
        dyingHoldIds: this.report?.ids.dyingHoldIds ?? this.storedHoldIds ?? "unknown",
      }),
    );
    if (f !== undefined) this.forecast = f;
  }
}

/** The previous walk's dying count per controller; null before the first walk or where none was read. */
function controllersOf(report: ScanReport | null, atMs: number | null): ControllersBefore | null {
  if (report === null || atMs === null || report.controllers === undefined) return null;
  const dying: Record<string, number> = {};
  for (const c of report.controllers) if (c.dying !== null) dying[c.name] = c.dying;
  return { atMs, dying };
}
