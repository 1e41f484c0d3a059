import { ParseError } from "../host/errors.js";

/**
 * Parses the "flat keyed" format shared by cgroup files (Documentation/admin-guide/cgroup-v2.rst,
 * "Interface Files"): one `key value` pair per line, the value a whole number.
 */
export function parseFlatKeyed(text: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const f = line.trim().split(/\s+/);
    if (f.length !== 2) throw new ParseError(file, i + 1, `expected "key value", found ${f.length} fields`, line);
    const [key, value] = f as [string, string];
    if (!/^-?\d+$/.test(value)) throw new ParseError(file, i + 1, `expected a whole number for ${key}`, line);
    out.set(key, Number(value));
  });
  return out;
}
