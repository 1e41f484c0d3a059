import type { Exporter, Tick } from "./tick.js";

export interface ExportListOptions {
  log: (line: string) => void;
  /** Called once per failed export (cgleak_exporter_errors_total). */
  failed?: (exporter: string) => void;
}

/**
 * Hands each tick to every exporter, in list order, ticks in the order they were made. An exporter
 * still busy with an earlier tick (an async one) gets only the newest tick when it is done: it
 * never sees them out of order, and a slow one never queues them up. A throw or a rejection is
 * counted, logged once until its message changes, and stops nothing.
 */
export class ExportList {
  private readonly busy = new Map<string, Promise<void>>();
  private readonly next = new Map<string, Tick>();
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly exporters: readonly Exporter[],
    private readonly o: ExportListOptions,
  ) {
    const names = exporters.map((e) => e.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`two exporters are named ${twice}`);
  }

  get names(): string[] {
    return this.exporters.map((e) => e.name);
  }

  dispatch(tick: Tick): void {
    for (const e of this.exporters) {
      if (this.busy.has(e.name)) this.next.set(e.name, tick);
      else this.run(e, tick);
    }
  }

  private run(e: Exporter, tick: Tick): void {
    let out: void | Promise<void>;
    try {
      out = e.export(tick);
    } catch (err) {
      return this.settle(e, err);
    }
    if (!(out instanceof Promise)) return this.settle(e, undefined);
    this.busy.set(
      e.name,
      out.then(
        () => this.settle(e, undefined),
        (err: unknown) => this.settle(e, err ?? "rejected"),
      ),
    );
  }

  /** Records how the export went, then hands over the tick that came meanwhile, if any. */
  private settle(e: Exporter, err: unknown): void {
    this.busy.delete(e.name);
    if (err === undefined) {
      if (this.lastError.delete(e.name)) this.o.log(`exporter ${e.name}: recovered`);
    } else {
      this.o.failed?.(e.name);
      const msg = err instanceof Error ? err.message : String(err);
      if (this.lastError.get(e.name) !== msg) this.o.log(`exporter ${e.name} failed: ${msg}`);
      this.lastError.set(e.name, msg);
    }
    const pending = this.next.get(e.name);
    if (pending === undefined) return;
    this.next.delete(e.name);
    this.run(e, pending);
  }

  /** Waits for exports in flight. */
  async idle(): Promise<void> {
    while (this.busy.size > 0) await Promise.all(this.busy.values());
  }

  /** Closes every exporter (in list order); one that fails to close is logged, the rest still close. */
  async close(): Promise<void> {
    for (const e of this.exporters) {
      try {
        await e.close?.();
      } catch (err) {
        this.o.log(`exporter ${e.name}: close failed: ${(err as Error).message}`);
      }
    }
  }
}

/** The newest tick an exporter was handed: what the API and the page answer from. */
export class LatestTick implements Exporter {
  private tick: Tick | undefined;
  constructor(readonly name: string) {}
  export(tick: Tick): void {
    this.tick = tick;
  }
  get(): Tick | undefined {
    return this.tick;
  }
}
