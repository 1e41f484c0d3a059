import { ParseError } from "../host/errors.js";
import { parseFlatKeyed } from "./keyed.js";
import { wholeNumber } from "./number.js";

/**
 * Parses `memory.stat`, v1 or v2 (both flat keyed). On v1 the plain keys (`cache`, `rss`) are this
 * cgroup's own charge and `total_*` keys are hierarchical; on v2 every key is hierarchical
 * (`file`, `anon`, `shmem`). Signed: see KeyedOptions.
 */
export function parseMemoryStat(text: string, file: string): Map<string, number> {
  return parseFlatKeyed(text, file, { signed: true, limits: /limit/ });
}

/**
 * Only the given keys of `memory.stat`: the pin descent reads one per memcg on the pinned paths and
 * needs 4 to 8 of its ~50 lines, which this finds without splitting every line (about 10x faster
 * than parseMemoryStat). The same bounds as parseFlatKeyed on what it reads: a wanted key twice, a
 * value that is no whole number or is past 2^53, or a `required` key missing is a ParseError.
 */
export function pickMemoryStat(
  text: string,
  file: string,
  keys: ReadonlySet<string>,
  required: ReadonlySet<string> = new Set(),
): Map<string, number> {
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
        const whole = text.slice(pos, end);
        if (out.has(key)) throw new ParseError(file, line, `"${key}" appears twice`, whole);
        out.set(key, wholeNumber(text.slice(sp + 1, end).trim(), { file, line, field: key, text: whole }, true));
      }
    }
    pos = end + 1;
    line++;
  }
  for (const k of required) if (!out.has(k)) throw new ParseError(file, 0, `expected a "${k}" line, found none`);
  return out;
}
