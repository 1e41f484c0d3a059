import { parseFlatKeyed } from "./keyed.js";

/**
 * Parses `memory.stat`, v1 or v2 (both flat keyed). On v1 the plain keys (`cache`, `rss`) are this
 * cgroup's own charge and `total_*` keys are hierarchical; on v2 every key is hierarchical
 * (`file`, `anon`, `shmem`). Signed: see KeyedOptions.
 */
export function parseMemoryStat(text: string, file: string): Map<string, number> {
  return parseFlatKeyed(text, file, { signed: true, limits: /limit/ });
}
