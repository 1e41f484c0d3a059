import { EventEmitter } from "node:events";
import type { Host } from "../host/host.js";
import { HostReadError, ParseError } from "../host/errors.js";
import type { CgroupSubsys } from "../parsers/proc-cgroups.js";
import { readMemorySubsys } from "./memory-subsys.js";
import { parseTraceLine } from "../parsers/trace-event.js";
import type { DyingSet, DyingCgroup, SetChange } from "../analyze/dying-set.js";
import { TracefsUnavailable, type TraceInstance } from "../host/tracefs.js";
import { formatInstanceName, type InstanceOwner } from "../parsers/trace-instance-name.js";
import { lostCount, openInstance, openTracefs } from "./tracefs.js";
import { selfOwner } from "./trace-owner.js";

export const CGROUP_EVENTS = ["cgroup/cgroup_mkdir", "cgroup/cgroup_rmdir", "cgroup/cgroup_release"];

export interface DyingTracerOptions {
  /** The instance name's prefix (default "cgleak"); tests use their own so they touch no one else's. */
  instancePrefix?: string;
  /** Runs once tracefs is found and before the instance is made (removes what dead makers left); must not throw. */
  beforeOpen?: (tracefsBase: string, self: InstanceOwner) => void;
  pollMs?: number;
  statsEveryMs?: number;
  bufferKb?: number;
}

/**
 * Streams the cgroup tracepoints of a private tracefs instance into the DyingSet it is given (built
 * by the caller for `memoryHierarchyId(host)`, the hierarchy the kernel filter keeps).
 * Emits "change" (SetChange), "lost" ({ count, total }) and "warning" (string: a line it could
 * not parse). Cleans up on stop(), and on process exit as a safety net (uncaught exceptions too).
 */
export class DyingTracer extends EventEmitter {
  startedAt = 0;
  private inst: TraceInstance | null = null;
  private timer: NodeJS.Timeout | null = null;
  private partial = "";
  private lineNo = 0;
  private lostSeen = { stats: 0, markers: 0, applied: 0 };
  private lastStats = 0;
  private wallOffsetMs = 0;
  private readonly onExit = (): void => this.stop();

  constructor(
    private readonly host: Host,
    readonly set: DyingSet,
    private readonly opts: DyingTracerOptions = {},
  ) {
    super();
  }

  /** Opens the instance, named for its owner (src/parsers/trace-instance-name.ts). Throws TracefsUnavailable. */
  start(): void {
    if (this.inst !== null) return;
    const self = selfOwner(this.host); // read before mounting: a failure here leaves no mount behind
    const name = formatInstanceName(this.opts.instancePrefix ?? "cgleak", self);
    const tracefs = openTracefs(this.host, name);
    this.opts.beforeOpen?.(tracefs.base, self);
    this.inst = openInstance(tracefs, name, {
      events: CGROUP_EVENTS,
      filter: `root == ${this.set.root}`, // other hierarchies never reach the buffer
      bufferKb: this.opts.bufferKb ?? 512,
    });
    process.on("exit", this.onExit);
    this.startedAt = Date.now();
    this.wallOffsetMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
    this.timer = setInterval(() => this.poll(), this.opts.pollMs ?? 100);
  }

  /** Reads what is pending, then disables the events and removes the instance. Sync, idempotent. */
  stop(): void {
    if (this.inst === null) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      this.poll();
    } finally {
      this.inst.close();
      this.inst = null;
      process.removeListener("exit", this.onExit);
    }
  }

  /** The named dying cgroups now, oldest first. */
  dyingSet(): DyingCgroup[] {
    return this.set.list();
  }

  /** trace_pipe lines read so far (every hierarchy-filtered event, of every workload). */
  get linesRead(): number {
    return this.lineNo;
  }

  get tracefsDir(): string | null {
    return this.inst?.dir ?? null;
  }

  /** One read of trace_pipe; public so tests and benchmarks can drain without waiting for the timer. */
  poll(): void {
    if (this.inst === null) return;
    const text = this.partial + this.inst.read();
    const end = text.lastIndexOf("\n");
    this.partial = text.slice(end + 1);
    if (end >= 0) for (const line of text.slice(0, end).split("\n")) this.line(line);
    if (Date.now() - this.lastStats >= (this.opts.statsEveryMs ?? 1000)) this.checkStats();
  }

  private line(line: string): void {
    this.lineNo++;
    if (line === "") return;
    let rec;
    try {
      rec = parseTraceLine(line, this.lineNo, `${this.inst?.dir ?? "tracefs"}/trace_pipe`);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.emit("warning", err.message);
      return;
    }
    if (rec.kind === "lost") this.noteLost("markers", this.lostSeen.markers + (rec.count ?? 1));
    if (rec.kind !== "cgroup") return;
    const at = this.inst?.monoClock ? rec.ts * 1000 + this.wallOffsetMs : Date.now();
    const change: SetChange | undefined = this.set.apply(rec, at);
    if (change !== undefined) this.emit("change", change);
  }

  private checkStats(): void {
    this.lastStats = Date.now();
    if (this.inst !== null) this.noteLost("stats", lostCount(this.inst));
  }

  // Markers and stats count the same losses: the larger total is the best estimate.
  private noteLost(source: "stats" | "markers", total: number): void {
    this.lostSeen[source] = total;
    const best = Math.max(this.lostSeen.stats, this.lostSeen.markers);
    if (best <= this.lostSeen.applied) return;
    const count = best - this.lostSeen.applied;
    this.lostSeen.applied = best;
    this.set.markLost(count, Date.now());
    this.emit("lost", { count, total: best });
  }
}

/** The memory controller's hierarchy id as tracepoints print it: 0 when memory is on cgroup2. */
export function memoryHierarchyId(host: Host): number {
  const mem = memoryLine(host);
  if (mem === undefined || !mem.enabled)
    throw new TracefsUnavailable("this kernel has no enabled memory controller (/proc/cgroups)");
  return mem.hierarchy;
}

/** undefined where /proc/cgroups has no memory line: for the tracer that is "unavailable", not a read error. */
function memoryLine(host: Host): CgroupSubsys | undefined {
  try {
    return readMemorySubsys(host);
  } catch (err) {
    if (err instanceof HostReadError && err.code === "ENOMEM_CTRL") return undefined;
    throw err;
  }
}
