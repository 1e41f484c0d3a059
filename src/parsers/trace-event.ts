import { ParseError } from "../host/errors.js";

/** The three cgroup tracepoints cgleak enables (include/trace/events/cgroup.h). */
export type CgroupEventName = "cgroup_mkdir" | "cgroup_rmdir" | "cgroup_release";

/** One cgroup_mkdir / cgroup_rmdir / cgroup_release event. */
export interface CgroupTraceEvent {
  kind: "cgroup";
  event: CgroupEventName;
  task: string;
  pid: number;
  cpu: number;
  /** Seconds, in the instance's trace_clock (cgleak sets "mono": CLOCK_MONOTONIC). */
  ts: number;
  /** Hierarchy id: /proc/cgroups column 2 on v1; 0 is the cgroup2 (default) hierarchy. */
  root: number;
  /** The cgroup id: its kernfs node id, which is the directory's inode number. */
  id: number;
  level: number;
  /** Path relative to the hierarchy's root, e.g. "/kubepods/burstable/pod.../abc". */
  path: string;
}

/** The kernel's marker for events overwritten before they were read: `CPU:1 [LOST 123 EVENTS]`. */
export interface LostMarker {
  kind: "lost";
  cpu: number;
  /** Null when the kernel could not count them (`CPU:1 [LOST EVENTS]`). */
  count: number | null;
}

/** Any other event (trace_marker writes, events another writer enabled): kept for the caller to skip. */
export interface OtherTraceEvent {
  kind: "other";
  event: string;
  ts: number;
}

/** Header comments and `##### CPU 1 buffer started ####` lines of the `trace` file. */
export interface TraceComment {
  kind: "comment";
}

export type TraceLine = CgroupTraceEvent | LostMarker | OtherTraceEvent | TraceComment;

// TASK-PID, optional "(tgid)" (record-tgid), [CPU], optional irq flags (irq-info), TIMESTAMP: EVENT: BODY.
// TASK is the comm and may hold spaces or dashes: the pid is the last "-digits" before the CPU.
const LINE = /^\s*(.*)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:[\w.]{4,6}\s+)?(\d+(?:\.\d+)?):\s+([\w:]+):\s?(.*)$/;
const CGROUP_BODY = /^root=(-?\d+) id=(\d+) level=(\d+) path=(.*)$/;
const LOST = /^CPU:(\d+) \[LOST (?:(\d+) )?EVENTS\]$/;
const CGROUP_EVENTS = new Set<string>(["cgroup_mkdir", "cgroup_rmdir", "cgroup_release"]);

/**
 * Parses one line of a tracefs `trace_pipe` (or `trace`) in the default text format
 * (kernel/trace/trace_output.c). Throws ParseError naming `file` and `lineNumber`.
 */
export function parseTraceLine(line: string, lineNumber: number, file = "trace_pipe"): TraceLine {
  if (line.startsWith("#")) return { kind: "comment" };
  const lost = LOST.exec(line.trim());
  if (lost) return { kind: "lost", cpu: Number(lost[1]), count: lost[2] === undefined ? null : Number(lost[2]) };
  const m = LINE.exec(line);
  if (!m) throw new ParseError(file, lineNumber, 'expected "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ..."', line);
  const [, task, pid, cpu, ts, event, body] = m as unknown as [string, string, string, string, string, string, string];
  if (!CGROUP_EVENTS.has(event)) return { kind: "other", event, ts: Number(ts) };
  const b = CGROUP_BODY.exec(body);
  if (!b) throw new ParseError(file, lineNumber, `expected "root=N id=N level=N path=P" after ${event}`, line);
  const id = Number(b[2]);
  if (!Number.isSafeInteger(id)) throw new ParseError(file, lineNumber, "expected a cgroup id below 2^53", line);
  return {
    kind: "cgroup",
    event: event as CgroupEventName,
    task,
    pid: Number(pid),
    cpu: Number(cpu),
    ts: Number(ts),
    root: Number(b[1]),
    id,
    level: Number(b[3]),
    path: b[4] as string,
  };
}

/** Parses a whole text (a `trace` file, a captured pipe); blank lines are skipped. */
export function parseTraceText(text: string, file = "trace"): TraceLine[] {
  const out: TraceLine[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() !== "") out.push(parseTraceLine(line, i + 1, file));
  });
  return out;
}

/** The loss counters of a tracefs `per_cpu/cpuN/stats` file. */
export interface TraceCpuStats {
  /** Events overwritten because the ring buffer was full (overwrite mode, the default). */
  overrun: number;
  /** Events refused because the buffer was full (overwrite off); absent before kernel 3.x. */
  dropped: number;
}

/** Parses `per_cpu/cpuN/stats` ("entries: 0", "overrun: 0", …, "dropped events: 0"). */
export function parseTraceCpuStats(text: string, file: string): TraceCpuStats {
  const get = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s*(\\d+)\\s*$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const overrun = get("overrun");
  if (overrun === undefined) throw new ParseError(file, 0, 'expected an "overrun: N" line, found none');
  return { overrun, dropped: get("dropped events") ?? 0 };
}
