import { parseFlatKeyed, requireKey } from "./keyed.js";

/** cgroup v2 `cgroup.stat`: descendant counts, and per-controller counts on 6.12+. */
export interface CgroupStat {
  nrDescendants: number;
  nrDyingDescendants: number;
  /** nr_subsys_memory: live memory css at and below this cgroup (6.12+, Waiman Long). */
  nrSubsysMemory?: number;
  /** nr_dying_subsys_memory: dying memory css below this cgroup (6.12+). */
  nrDyingSubsysMemory?: number;
  /** Every controller's nr_subsys_<ss> / nr_dying_subsys_<ss> (6.12+: only those bound to v2). */
  subsys: Map<string, { live: number; dying: number }>;
}

/** Parses cgroup v2 `cgroup.stat` (nr_descendants since v4.14, ec39225cca42). */
export function parseCgroupStat(text: string, file: string): CgroupStat {
  const kv = parseFlatKeyed(text, file);
  const get = (k: string): number | undefined => kv.get(k);
  const stat: CgroupStat = {
    nrDescendants: requireKey(kv, "nr_descendants", file),
    nrDyingDescendants: requireKey(kv, "nr_dying_descendants", file),
    subsys: subsysCounts(kv),
  };
  const live = get("nr_subsys_memory");
  const dying = get("nr_dying_subsys_memory");
  if (live !== undefined) stat.nrSubsysMemory = live;
  if (dying !== undefined) stat.nrDyingSubsysMemory = dying;
  return stat;
}

function subsysCounts(kv: Map<string, number>): Map<string, { live: number; dying: number }> {
  const out = new Map<string, { live: number; dying: number }>();
  for (const [k, live] of kv) {
    if (!k.startsWith("nr_subsys_")) continue;
    const ss = k.slice("nr_subsys_".length);
    out.set(ss, { live, dying: kv.get(`nr_dying_subsys_${ss}`) ?? 0 });
  }
  return out;
}
