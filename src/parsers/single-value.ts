import { ParseError } from "../host/errors.js";
import { wholeNumber } from "./number.js";

/**
 * Parses a one-number cgroup file: v1 `memory.usage_in_bytes`, `memory.kmem.usage_in_bytes`,
 * `memory.kmem.limit_in_bytes`, v2 `memory.current`. v2 limits may read "max": that is Infinity.
 */
export function parseSingleValue(text: string, file: string): number {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1)
    throw new ParseError(file, lines.length === 0 ? 1 : 2, `expected one value, found ${lines.length} lines`);
  const v = (lines[0] as string).trim();
  if (v === "max") return Infinity;
  // A v1 limit of "unlimited" reads PAGE_COUNTER_MAX pages in bytes (9223372036854771712 on 4 KiB
  // pages), past what a number holds exactly: any limit that far out is no limit. A usage that far
  // out is no reading the kernel made.
  if (/limit_in_bytes$/.test(file) && /^\d{17,}$/.test(v) && !Number.isSafeInteger(Number(v))) return Infinity;
  return wholeNumber(v, { file, line: 1, field: "the value", text: v }, true);
}
