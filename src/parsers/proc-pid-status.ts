import { ParseError } from "../host/errors.js";

/**
 * The `NSpid:` line of `/proc/<pid>/status` (Linux 4.1+): the pid in the pid namespace of the procfs
 * read, then in each nested namespace down to the process's own. One entry: that procfs is the
 * process's own namespace. Undefined when the kernel prints no such line.
 */
export function parseNsPid(text: string, file: string): number[] | undefined {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.startsWith("NSpid:"));
  if (i < 0) return undefined;
  const line = lines[i] as string;
  const pids = line.slice("NSpid:".length).trim().split(/\s+/);
  if (pids.length === 0 || !pids.every((p) => /^\d+$/.test(p))) {
    throw new ParseError(file, i + 1, "expected NSpid: followed by pids", line);
  }
  return pids.map(Number);
}
