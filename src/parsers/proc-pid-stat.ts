import { ParseError } from "../host/errors.js";

/** What `/proc/<pid>/stat` tells about who a process is: a pid and its start time are one process per boot. */
export interface ProcIdentity {
  pid: number;
  /** Field 22, `starttime`: clock ticks after boot. A reused pid has a later one. */
  startTime: number;
  /** Field 3: "Z" a zombie (dead, not yet reaped), "X" dead; R, S, D, T, ... running or asleep. */
  state: string;
}

/**
 * Parses `/proc/<pid>/stat` (proc(5)). The comm (field 2) is in parentheses and may hold spaces and
 * parentheses itself, so the fields after it are counted from the last ")".
 */
export function parseProcPidStat(text: string, file: string): ProcIdentity {
  const line = text.split("\n")[0] ?? "";
  const open = line.indexOf(" (");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) throw new ParseError(file, 1, 'expected "pid (comm) state ..."', line);
  const pid = line.slice(0, open);
  // Field 3 (state) is the first after the comm, so field 22 is the 20th.
  const fields = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const start = fields[19];
  if (!/^\d+$/.test(pid) || start === undefined || !/^\d+$/.test(start)) {
    throw new ParseError(file, 1, "expected a numeric pid and 22 fields (field 22: starttime)", line);
  }
  return { pid: Number(pid), startTime: Number(start), state: fields[0] as string };
}
