import { ParseError } from "../host/errors.js";

/**
 * Parses /proc/meminfo into bytes by field name (`Percpu`, `SUnreclaim`, `SwapTotal`, ...).
 * Values carry a `kB` unit (KiB in truth) except the HugePages counts, which have none.
 */
export function parseMeminfo(text: string, file = "/proc/meminfo"): Map<string, number> {
  const out = new Map<string, number>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) throw new ParseError(file, i + 1, 'expected "Name: value [kB]"', line);
    out.set(m[1] as string, Number(m[2]) * (m[3] ? 1024 : 1));
  });
  return out;
}
