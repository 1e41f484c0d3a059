import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import type { Host } from "../host/host.js";
import { parseMountInfo } from "../parsers/mountinfo.js";
import { parseTraceCpuStats } from "../parsers/trace-event.js";

/** Why tracing cannot run here: one line for the operator. */
export class TracefsUnavailable extends Error {
  override name = "TracefsUnavailable" as const;
}

export interface TraceInstanceOptions {
  /** "system/event" names under events/, e.g. "cgroup/cgroup_rmdir". */
  events: string[];
  /** A tracefs event filter applied to every event, e.g. "root == 4" (done in the kernel). */
  filter?: string;
  /** Per-CPU ring buffer size; the kernel default (1.4 MiB) times 100 CPUs would be wasted here. */
  bufferKb?: number;
}

/**
 * A private tracefs instance (`instances/cgleak-<pid>-<rand>`): never the global buffer, never
 * another tool's instance. tracefs is mounted at a private temp dir when no tracefs is mounted,
 * and unmounted by close(). trace_pipe is read non-blocking so close() is synchronous and can
 * run from a signal or exit handler.
 */
export class TraceInstance {
  /** True when timestamps are CLOCK_MONOTONIC (trace_clock "mono"), the clock of process.hrtime. */
  monoClock = false;
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(1 << 16);
  private closed = false;

  private constructor(readonly dir: string, readonly mountedAt: string | null, private readonly events: string[]) {}

  static open(host: Host, opts: TraceInstanceOptions): TraceInstance {
    if (process.geteuid?.() !== 0) throw new TracefsUnavailable("needs root: it creates a tracefs instance");
    const found = findTracefs(host);
    const base = found ?? mountTracefs(host);
    const dir = path.join(base, "instances", `cgleak-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if (found === undefined) unmount(base);
      throw new TracefsUnavailable(`cannot create tracefs instance ${dir}: ${(err as Error).message}`);
    }
    const inst = new TraceInstance(dir, found === undefined ? base : null, opts.events);
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
    for (let total = 0; total < maxBytes; ) {
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

  /** Events lost so far, summed over CPUs from per_cpu/cpuN/stats (overrun + dropped). */
  lostCount(): number {
    const perCpu = path.join(this.dir, "per_cpu");
    let lost = 0;
    for (const cpu of fs.readdirSync(perCpu)) {
      const file = path.join(perCpu, cpu, "stats");
      const st = parseTraceCpuStats(fs.readFileSync(file, "utf8"), file);
      lost += st.overrun + st.dropped;
    }
    return lost;
  }

  /** Disables the events, removes the instance, unmounts what open() mounted. Idempotent, sync. */
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
    if (this.mountedAt !== null) unmount(this.mountedAt);
  }
}

const PRIVATE_PREFIX = "cgleak-tracefs-";

/**
 * The first tracefs mount point this process sees, from its own mountinfo. Another cgleak's
 * private mount is skipped: it unmounts it on exit, and using it would make that unmount fail.
 */
export function findTracefs(host: Host): string | undefined {
  const file = "/proc/self/mountinfo";
  const mounts = parseMountInfo(host.readText(file), file);
  return mounts.find((m) => m.fsType === "tracefs" && !path.basename(m.mountPoint).startsWith(PRIVATE_PREFIX) &&
    fs.existsSync(path.join(m.mountPoint, "instances")))?.mountPoint;
}

function mountTracefs(host: Host): string {
  const fstypes = host.readTextIfExists("/proc/filesystems") ?? "";
  if (!/\ttracefs$/m.test(fstypes)) throw new TracefsUnavailable("this kernel has no tracefs (/proc/filesystems lists none)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PRIVATE_PREFIX));
  const r = spawnSync("mount", ["-t", "tracefs", "nodev", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    const why = r.error ? r.error.message : r.stderr.trim();
    throw new TracefsUnavailable(`cannot mount tracefs at ${dir}: ${why}`);
  }
  return dir;
}

function unmount(dir: string): void {
  // Lazy as a fallback: a busy private mount must still leave the mount table on exit.
  if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
  try {
    fs.rmdirSync(dir);
  } catch {
    // Still mounted (busy): leave the directory rather than fail the exit path.
  }
}

function tryWrite(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text);
    return true;
  } catch {
    return false;
  }
}
