import { ParseError } from "../host/errors.js";

/**
 * Parses the kernel's cpu-list format (Documentation/admin-guide/cputopology.rst), used by
 * /sys/devices/system/cpu/possible and /sys/devices/system/node/possible: comma-separated ids
 * and inclusive ranges, "0-3,8-11" or "0". Returns how many ids the list names.
 */
export function parseCpuListCount(text: string, file: string): number {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1)
    throw new ParseError(
      file,
      lines.length === 0 ? 1 : 2,
      `expected one cpu list such as "0-3,8", found ${lines.length} lines`,
    );
  const line = (lines[0] as string).trim();
  let count = 0;
  for (const part of line.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ParseError(file, 1, 'expected ids and ranges such as "0-3,8"', line);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new ParseError(file, 1, `range ${part} runs backwards`, line);
    count += hi - lo + 1;
  }
  return count;
}
