import type { CollectorName, CollectorStatus, Tick } from "./tick.js";

/**
 * The daemon's collectors (cheap count, walk, store, forecast): each run is timed, a throw is its
 * failure (logged once per new error), never the daemon's. Shared by the sampler, the database,
 * the tracer and the reaper, which all write through "store".
 */
export class Collectors {
  private readonly last = new Map<CollectorName, Readonly<CollectorStatus>>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs one collector: on a throw records success 0, logs once per new error, and answers undefined. */
  run<T>(
    name: CollectorName,
    fn: () => T,
    t0 = process.hrtime.bigint(),
    note?: (err: unknown) => string,
  ): T | undefined {
    try {
      const v = fn();
      const was = this.last.get(name);
      if (was && !was.success) this.log(`${name}: recovered`);
      this.set(name, { success: true, seconds: secondsSince(t0), error: null, atMs: this.now() });
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
      return this.run(
        name,
        () => {
          throw err;
        },
        t0,
      );
    }
  }

  /** Every collector's last run, frozen, in the order they first ran (a tick's `collectors`). */
  snapshot(): Tick["collectors"] {
    return Object.freeze(Object.fromEntries(this.last));
  }

  private fail(name: CollectorName, seconds: number, error: string): void {
    const was = this.last.get(name);
    if (was?.error !== error) this.log(`${name} failed: ${error}`);
    this.set(name, { success: false, seconds, error, atMs: this.now() });
  }

  private set(name: CollectorName, s: CollectorStatus): void {
    this.last.set(name, Object.freeze(s));
  }
}

function secondsSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
