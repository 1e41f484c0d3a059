import type { Tick } from "./tick.js";
import type { ExportList } from "./exporters.js";

export interface LoopOptions {
  /** Makes one tick (Sampler.tick): it never throws for a collector's failure. */
  tick: () => Promise<Tick>;
  exporters: ExportList;
  intervalMs: number;
  log: (line: string) => void;
}

export interface Loop {
  /** One tick and its export, now (the first, before serving; tests). */
  step(): Promise<Tick | undefined>;
  /** Stops ticking, then waits for exports in flight. */
  stop(): Promise<void>;
}

/**
 * serve's loop, all of the daemon that runs on its own: every interval the sampler makes a tick and
 * the exporters get it (docs/CONVENTIONS.md, "serve's one-way flow"). A tick in flight does not hold
 * up the next one: a walk runs for many intervals, and the ticks meanwhile take cheap samples.
 */
export function startLoop(o: LoopOptions): Loop {
  let stopped = false;
  const step = async (): Promise<Tick | undefined> => {
    try {
      const t = await o.tick();
      if (!stopped) o.exporters.dispatch(t); // a walk that ends after close: the exporters are closed
      return t;
    } catch (err) {
      o.log(`tick failed: ${(err as Error).message}`);
      return undefined;
    }
  };
  const timer = setInterval(() => void step(), o.intervalMs);
  return {
    step,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await o.exporters.idle();
    },
  };
}
