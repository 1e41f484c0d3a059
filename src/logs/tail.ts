import type { Host } from "../host/host.js";
import { Accumulator } from "./accumulator.js";
import { journalOptions, oneLine, type LogReport, type LogSource, type LogSourceStatus } from "./scan-logs.js";
import type { LineHit } from "./stream.js";
import { FileTail } from "./tail-file.js";
import { JournalTail } from "./tail-journal.js";

export interface TailOptions {
  /** Matches older than this are not counted; a file's first read starts near it (windowStart). */
  since: Date;
  host?: Host;
  journalctl?: string;
  env?: NodeJS.ProcessEnv;
  maxSamples?: number;
}

/**
 * The logs read incrementally, for serve: each check() reads only what was written since the
 * previous one (FileTail, JournalTail) and answers with what that new part says; running() is
 * what everything read since `since` says, the same findings a full read of the same lines
 * with the same `since` gives (scanLogs). Memory: one partial line and one record per source.
 */
export class LogTailer {
  private readonly files = new Map<string, FileTail>();
  private readonly journal = new JournalTail();
  private all: Accumulator;
  private statuses: LogSourceStatus[] = [];

  constructor(private readonly opts: TailOptions) {
    this.all = new Accumulator(opts.since, new Date(), opts.maxSamples);
  }

  /** Reads what is new in each source; an unreadable source is reported in `sources`, never thrown. */
  async check(sources: LogSource[], now: Date): Promise<LogReport> {
    const delta = new Accumulator(this.all.since, now, this.opts.maxSamples);
    this.all.now = now;
    const statuses: LogSourceStatus[] = [];
    for (const source of sources) {
      const name = source.type === "journal" ? "journal" : source.path;
      const onHit = (hit: LineHit): void => (delta.add(name, hit), this.all.add(name, hit));
      statuses.push(await this.readOne(source, name, now, onHit));
    }
    this.statuses = statuses;
    return delta.report(statuses);
  }

  /** What every line read since `since` says, with the last check's source statuses. */
  running(): LogReport {
    return this.all.report(this.statuses);
  }

  /** Forgets what was read before: running() counts from `since` on (the tailing itself goes on). */
  restart(since: Date): void {
    this.all = new Accumulator(since, this.all.now, this.opts.maxSamples);
  }

  private async readOne(
    source: LogSource,
    name: string,
    now: Date,
    onHit: (h: LineHit) => void,
  ): Promise<LogSourceStatus> {
    try {
      const lines =
        source.type === "journal"
          ? await this.journal.read(journalOptions({ ...this.opts, now }), onHit)
          : this.file(source.path).read({ since: this.opts.since, now }, onHit);
      return { name, type: source.type, ok: true, lines };
    } catch (err) {
      return { name, type: source.type, ok: false, lines: 0, error: oneLine(err) };
    }
  }

  private file(p: string): FileTail {
    const real = this.opts.host && p !== "-" ? this.opts.host.path(p) : p;
    let tail = this.files.get(real);
    if (!tail) this.files.set(real, (tail = new FileTail(real)));
    return tail;
  }
}
