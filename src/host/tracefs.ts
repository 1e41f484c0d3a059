import * as fs from "node:fs";
import * as path from "node:path";
import { unmountPrivate, tryWrite, TracefsUnavailable } from "./tracefs-mount.js";

export { TracefsUnavailable } from "./tracefs-mount.js";

export interface TraceInstanceOptions {
  /** "system/event" names under events/, e.g. "cgroup/cgroup_rmdir". */
  events: string[];
  /** A tracefs event filter applied to every event, e.g. "root == 4" (done in the kernel). */
  filter?: string;
  /** Per-CPU ring buffer size; the kernel default (1.4 MiB) times 100 CPUs would be wasted here. */
  bufferKb?: number;
}

/**
 * A private tracefs instance: never the global buffer, never another tool's instance. Its name
 * says who made it (src/parsers/trace-instance-name.ts). trace_pipe is read non-blocking so
 * close() is synchronous and can run from a signal or exit handler; close() also unmounts the
 * private tracefs mount it was given (`mountedAt`), if any.
 */
export class TraceInstance {
  /** True when timestamps are CLOCK_MONOTONIC (trace_clock "mono"), the clock of process.hrtime. */
  monoClock = false;
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(1 << 16);
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly mountedAt: string | null,
    private readonly events: string[],
  ) {}

  /** Makes `<base>/instances/<name>` and turns its events on; on failure nothing is left behind. */
  static create(base: string, name: string, mountedAt: string | null, opts: TraceInstanceOptions): TraceInstance {
    const dir = path.join(base, "instances", name);
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if (mountedAt !== null) unmountPrivate(mountedAt);
      throw new TracefsUnavailable(`cannot create tracefs instance ${dir}: ${(err as Error).message}`);
    }
    const inst = new TraceInstance(dir, mountedAt, opts.events);
    try {
      inst.configure(opts);
    } catch (err) {
      inst.close();
      throw err;
    }
    return inst;
  }

  private configure(opts: TraceInstanceOptions): void {
    // The clock must be set before events are on: changing it resets the buffer.
    this.monoClock = tryWrite(path.join(this.dir, "trace_clock"), "mono");
    if (opts.bufferKb !== undefined) tryWrite(path.join(this.dir, "buffer_size_kb"), String(opts.bufferKb));
    for (const ev of this.events) {
      const evDir = path.join(this.dir, "events", ev);
      if (!fs.existsSync(evDir)) throw new TracefsUnavailable(`this kernel has no tracepoint ${ev} (${evDir})`);
      if (opts.filter !== undefined) fs.writeFileSync(path.join(evDir, "filter"), opts.filter);
      fs.writeFileSync(path.join(evDir, "enable"), "1");
    }
    this.fd = fs.openSync(path.join(this.dir, "trace_pipe"), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  }

  /** Everything trace_pipe holds now ("" when empty); reading consumes it. At most `maxBytes` per call. */
  read(maxBytes = 4 << 20): string {
    if (this.fd === null) return "";
    const chunks: string[] = [];
    for (let total = 0; total < maxBytes;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw err;
      }
      if (n === 0) break;
      chunks.push(this.buf.toString("utf8", 0, n));
      total += n;
    }
    return chunks.join("");
  }

  /** Each CPU's `per_cpu/cpuN/stats` text, for the loss counters (parsed by the caller). */
  perCpuStats(): Array<{ file: string; text: string }> {
    const perCpu = path.join(this.dir, "per_cpu");
    return fs.readdirSync(perCpu).map((cpu) => {
      const file = path.join(perCpu, cpu, "stats");
      return { file, text: fs.readFileSync(file, "utf8") };
    });
  }

  /** Disables the events, removes the instance, unmounts the private mount it was given. Idempotent, sync. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ev of this.events) tryWrite(path.join(this.dir, "events", ev, "enable"), "0");
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    try {
      fs.rmdirSync(this.dir);
    } catch {
      // Gone already, or busy: unmounting below still succeeds for a private mount only if it is free.
    }
    if (this.mountedAt !== null) unmountPrivate(this.mountedAt);
  }
}
