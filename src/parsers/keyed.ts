import { ParseError } from "../host/errors.js";
import { wholeNumber } from "./number.js";

export interface KeyedOptions {
  /**
   * Values may be negative: v1 `memory.stat` on 3.10 prints per-CPU sums with "%ld", which can
   * dip below zero for a moment. Counts (cgroup.stat, cgroup.events) never do.
   */
  signed?: boolean;
  /**
   * Keys that hold limits: v1 `hierarchical_memory_limit` reads PAGE_COUNTER_MAX pages in bytes
   * when unlimited (9223372036854771712 with 4 KiB pages), past 2^53. Such a limit is no limit:
   * Infinity. Any other value past 2^53 is refused.
   */
  limits?: RegExp;
}

/**
 * Parses the "flat keyed" format shared by cgroup files (Documentation/admin-guide/cgroup-v2.rst,
 * "Interface Files"): one `key value` pair per line, the value a whole number. The kernel prints
 * each key once: a repeated key is an error, not a second reading.
 */
export function parseFlatKeyed(text: string, file: string, opts: KeyedOptions = {}): Map<string, number> {
  const out = new Map<string, number>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const f = line.trim().split(/\s+/);
    if (f.length !== 2) throw new ParseError(file, i + 1, `expected "key value", found ${f.length} fields`, line);
    const [key, value] = f as [string, string];
    if (out.has(key)) throw new ParseError(file, i + 1, `"${key}" appears twice`, line);
    const unlimited =
      opts.limits?.test(key) === true && /^\d{17,}$/.test(value) && !Number.isSafeInteger(Number(value));
    out.set(key, unlimited ? Infinity : wholeNumber(value, { file, line: i + 1, field: key, text: line }, opts.signed));
  });
  return out;
}

/** A key the file must have: a missing one is an error, never read as 0. */
export function requireKey(kv: Map<string, number>, key: string, file: string): number {
  const v = kv.get(key);
  if (v === undefined) throw new ParseError(file, 0, `expected a "${key}" line, found none`);
  return v;
}
