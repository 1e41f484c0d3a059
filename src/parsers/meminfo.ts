import { ParseError } from "../host/errors.js";
import { wholeNumber } from "./number.js";

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
    const name = m[1] as string;
    if (out.has(name)) throw new ParseError(file, i + 1, `"${name}" appears twice`, line);
    const n = wholeNumber(m[2] as string, { file, line: i + 1, field: name, text: line }) * (m[3] ? 1024 : 1);
    if (!Number.isSafeInteger(n)) throw new ParseError(file, i + 1, `${name} is past 2^53 bytes`, line);
    out.set(name, n);
  });
  return out;
}
