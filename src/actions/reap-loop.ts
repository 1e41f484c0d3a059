import { reapPass, type ReapContext } from "./reap.js";
import type { PassReport, Verdict } from "./reap-report.js";

/** What the metrics, the store and the Kubernetes events read of the continuous reaper. */
export interface ReaperTotals {
  passes: Record<Verdict, number>;
  dyingFreed: number;
  pinnedFreed: number;
  liveCacheEvicted: number;
  refaults: number;
  /** The interval now, after backoff. */
  intervalMs: number;
  last: PassReport | null;
  /** The last pass that acted. */
  lastActed: PassReport | null;
}

export interface ReaperOptions {
  log: (line: string) => void;
  /** After every pass (the store, the Kubernetes event). Errors are logged, never thrown. */
  onPass?: (r: PassReport, totals: ReaperTotals) => void;
}

/**
 * `serve --reap`: a pass every interval on its own timer, independent of the sampler's ticks. A
 * pass that could free nothing (it acted and freed none, or every pin left is unreclaimable)
 * doubles the interval up to the policy's maximum; progress, being on target, or pressure
 * (retry soon, once it has passed) resets it. One pass at a time; stop() waits for the running one,
 * whose finally has restored any limit it lowered.
 */
export class Reaper {
  readonly totals: ReaperTotals;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastVerdict: Verdict | null = null;

  constructor(
    private readonly c: ReapContext,
    private readonly o: ReaperOptions,
  ) {
    this.totals = {
      passes: { acted: 0, "on-target": 0, vetoed: 0, "nothing-to-do": 0, "dry-run": 0 },
      dyingFreed: 0,
      pinnedFreed: 0,
      liveCacheEvicted: 0,
      refaults: 0,
      intervalMs: c.policy.intervalMs,
      last: null,
      lastActed: null,
    };
  }

  start(firstInMs = 1000): void {
    this.schedule(firstInMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass now (also what the timer runs). */
  async runOnce(): Promise<PassReport | null> {
    if (this.running !== null) return null;
    let report: PassReport | null = null;
    this.running = (async () => {
      try {
        report = await reapPass(this.c);
        this.account(report);
      } catch (err) {
        this.o.log(`reap: pass failed: ${(err as Error).message}`);
      }
    })();
    await this.running;
    this.running = null;
    return report;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runOnce().then(() => this.schedule(this.totals.intervalMs)), ms);
    this.timer.unref();
  }

  private account(r: PassReport): void {
    const t = this.totals;
    t.passes[r.verdict]++;
    t.last = r;
    if (r.verdict === "acted") {
      t.lastActed = r;
      t.dyingFreed += r.dyingFreed;
      t.pinnedFreed += r.pinnedFreed;
      t.liveCacheEvicted += r.liveCacheEvicted;
      t.refaults += r.refaults;
    }
    const fruitless = (r.verdict === "acted" && r.pinnedFreed === 0) || r.verdict === "nothing-to-do";
    t.intervalMs = fruitless ? Math.min(this.c.policy.maxIntervalMs, t.intervalMs * 2) : this.c.policy.intervalMs;
    const vetoedBefore = this.lastVerdict === "vetoed";
    this.lastVerdict = r.verdict;
    // one line per change of mind: every pass acting, or the first of a run of vetoes
    if (r.verdict === "vetoed" && !vetoedBefore) this.o.log(`reap: vetoed: ${r.reason}`);
    if (r.verdict === "acted" || fruitless)
      this.o.log(
        `reap: ${r.verdict}: ${r.reason}; freed ${r.dyingFreed} dying, ${r.pinnedFreed} bytes pinned; evicted ${r.liveCacheEvicted} bytes live; next in ${Math.round(t.intervalMs / 1000)} s`,
      );
    try {
      this.o.onPass?.(r, t);
    } catch (err) {
      this.o.log(`reap: after the pass: ${(err as Error).message}`);
    }
  }
}
