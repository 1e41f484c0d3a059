import type { Host } from "../host/host.js";
import { runScan, type ScanOptions } from "../scan.js";
import type { ScanReport } from "../analyze/report.js";
import { defaultLogSources } from "../logs/sources.js";
import type { LogReport } from "../logs/scan-logs.js";
import { LogCheck } from "./log-check.js";

/**
 * The full scan, with the host's logs read first. One walk at a time: a call while one runs gets
 * that walk's result, however many ticks or requests ask.
 *
 * In the daemon's own thread, not a worker: a worker thread is a second V8 isolate, 13 MB of RSS
 * held all the time (measured at 10,000 memcgs, docs/deploy.md) for a walk that runs 0.06-0.2 s
 * every 5 minutes. The logs are read asynchronously; the walk itself then holds the event loop, so
 * a scrape arriving in those 0.06-0.2 s waits for it (npm run bench -- serve prints how long).
 */
export class Walker {
  private inflight: Promise<ScanReport> | null = null;
  private readonly check = new LogCheck();

  /** Log lines with the leak signature found since the previous walk. */
  onLogLines: (n: number) => void = () => {};

  constructor(
    private readonly host: Host,
    private readonly scan: ScanOptions,
  ) {}

  get busy(): boolean {
    return this.inflight !== null;
  }

  walk(extra: Partial<ScanOptions> = {}): Promise<ScanReport> {
    this.inflight ??= this.run(extra).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async run(extra: Partial<ScanOptions>): Promise<ScanReport> {
    const { logs, logLines } = await this.readLogs(Date.now());
    if (logLines > 0) this.onLogLines(logLines);
    return runScan(this.host, { ...this.scan, ...extra, logs });
  }

  /** No usual log on this host: null, as `explain` says "not read" rather than "none found". */
  private async readLogs(now: number): Promise<{ logs: LogReport | null; logLines: number }> {
    const sources = defaultLogSources(this.host);
    if (sources.length === 0) return { logs: null, logLines: 0 };
    const r = await this.check.read(this.host, sources, now);
    return { logs: r.forFindings, logLines: r.newLines };
  }

  /** Nothing to stop: a walk in flight ends on its own, and its result goes nowhere once the daemon closed. */
  async close(): Promise<void> {}
}
