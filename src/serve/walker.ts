import { Worker } from "node:worker_threads";
import type { ScanOptions } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";

/**
 * The full scan in a worker thread. One walk at a time: a call while one runs gets that walk's
 * result, however many ticks or requests ask.
 */
export class Walker {
  private worker: Worker | null = null;
  private inflight: Promise<ScanReport> | null = null;

  /** Log lines with the leak signature found since the previous walk (the worker reads the logs). */
  onLogLines: (n: number) => void = () => {};

  constructor(private readonly root: string, private readonly scan: ScanOptions) {}

  get busy(): boolean {
    return this.inflight !== null;
  }

  walk(extra: Partial<ScanOptions> = {}): Promise<ScanReport> {
    this.inflight ??= this.post(extra).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private post(extra: Partial<ScanOptions>): Promise<ScanReport> {
    const w = (this.worker ??= this.start());
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void => {
        this.worker = null;
        reject(new Error(`the walk worker exited (${code})`));
      };
      w.once("exit", onExit);
      w.once("message", (m: { report?: ScanReport; logLines?: number; error?: string }) => {
        w.off("exit", onExit);
        if (m.logLines) this.onLogLines(m.logLines);
        if (m.report) resolve(m.report);
        else reject(new Error(m.error ?? "the walk worker answered nothing"));
      });
      const { now: _now, ...scan } = this.scan; // a function does not cross threads
      w.postMessage({ root: this.root, scan: { ...scan, ...extra } });
    });
  }

  private start(): Worker {
    // "../serve/": resolves from dist/serve/walker.js and from the bundle, dist/cli/cgleak.cjs, alike.
    const w = new Worker(new URL("../serve/walk-worker.js", import.meta.url));
    w.unref(); // never what keeps the daemon alive
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
