import { ParseError } from "../host/errors.js";

/**
 * Parses a one-number cgroup file: v1 `memory.usage_in_bytes`, `memory.kmem.usage_in_bytes`,
 * `memory.kmem.limit_in_bytes`, v2 `memory.current`. v2 limits may read "max": that is Infinity.
 */
export function parseSingleValue(text: string, file: string): number {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1) throw new ParseError(file, lines.length === 0 ? 1 : 2, `expected one value, found ${lines.length} lines`);
  const v = (lines[0] as string).trim();
  if (v === "max") return Infinity;
  if (!/^-?\d+$/.test(v)) throw new ParseError(file, 1, "expected a whole number", v);
  return Number(v);
}
