import { ParseError } from "../host/errors.js";
import { parseFlatKeyed } from "./keyed.js";

/**
 * Parses `memory.stat`, v1 or v2 (both flat keyed). On v1 the plain keys (`cache`, `rss`) are this
 * cgroup's own charge and `total_*` keys are hierarchical; on v2 every key is hierarchical
 * (`file`, `anon`, `shmem`). Signed: see KeyedOptions.
 */
export function parseMemoryStat(text: string, file: string): Map<string, number> {
  return parseFlatKeyed(text, file, { signed: true, limits: /limit/ });
}

/**
 * Only the given keys of `memory.stat` (absent keys are left out): the pin descent reads one per
 * memcg on the pinned paths and needs 4 to 8 of its ~50 lines, which this finds without splitting
 * every line (about 10x faster than parseMemoryStat).
 */
export function pickMemoryStat(text: string, file: string, keys: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const sp = text.indexOf(" ", pos);
    if (sp > pos && sp < end) {
      const key = text.slice(pos, sp);
      if (keys.has(key)) {
        const value = text.slice(sp + 1, end).trim();
        if (!/^-?\d+$/.test(value)) throw new ParseError(file, line, `expected a whole number for ${key}`, text.slice(pos, end));
        out.set(key, Number(value));
      }
    }
    pos = end + 1;
    line++;
  }
  return out;
}
