import type { Host } from "../host/host.js";
import { parseProcCgroups, type CgroupSubsys } from "../parsers/proc-cgroups.js";
import { parseCgroupStat } from "../parsers/cgroup-stat.js";
import type { CgroupHierarchy, CgroupMounts } from "./mounts.js";
import { walkCgroupDirs } from "../host/walk.js";

/** One controller's live and dying cgroups, or why a figure is missing. */
export interface ControllerFacts {
  /** As /proc/cgroups (v1) or cgroup.stat (v2) names it; "name=systemd" for a named v1 hierarchy; "cgroup2" for a whole v2 hierarchy. */
  name: string;
  version: 1 | 2;
  mountPoint: string | null;
  /** Other controllers on the same v1 hierarchy: it was walked once for all of them. */
  sharedWith: string[];
  /** Live + dying, kernel-wide. */
  kernelTotal: number | null;
  live: number | null;
  dying: number | null;
  source: string;
}

export interface ControllerOptions {
  /**
   * Walk the v1 hierarchies other than memory's, smallest first, while the cgroups the kernel
   * counts in those walked stay at most this many (Infinity: all), so the scan's cost stays bounded.
   */
  walkUpTo: number;
  /** The memory controller's figures, already counted by the memory walk. */
  memory: { version: 1 | 2; mountPoint: string; live: number; dying: number; kernelTotal: number; dyingSource: string };
}

/**
 * Every controller's dying cgroups. v1: /proc/cgroups num_cgroups minus the live directories of
 * the controller's hierarchy, each hierarchy walked once however many controllers share it (the
 * walk costs one stat per leaf: docs/lab-results.md §5). v2: the root cgroup.stat's nr_subsys_<ss> and
 * nr_dying_subsys_<ss> (6.12+), else only nr_dying_descendants for the whole hierarchy.
 */
export function collectControllers(
  host: Host,
  mounts: CgroupMounts,
  opts: ControllerOptions,
): { controllers: ControllerFacts[]; walkSeconds: number } {
  const started = process.hrtime.bigint();
  const subs = parseProcCgroups(host.readText("/proc/cgroups")).filter((s) => s.enabled);
  const out: ControllerFacts[] = [];
  const walk = walkable(mounts.hierarchies, subs, opts.walkUpTo);
  for (const h of mounts.hierarchies) {
    if (h.version === 1) out.push(...v1Hierarchy(host, h, subs, opts, walk.has(h)));
    else out.push(...v2Hierarchy(host, h, opts));
  }
  return { controllers: out, walkSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The v1 hierarchies (memory's aside) whose walks fit the budget, smallest first. */
function walkable(hs: CgroupHierarchy[], subs: CgroupSubsys[], budget: number): Set<CgroupHierarchy> {
  const sized = hs
    .filter((h) => h.version === 1 && !h.controllers.includes("memory"))
    .map((h) => ({ h, n: hierarchyTotal(h, subs) }))
    .filter((x) => x.n > 0)
    .sort((a, b) => a.n - b.n);
  const out = new Set<CgroupHierarchy>();
  let spent = 0;
  for (const x of sized) {
    if (spent + x.n > budget) break;
    spent += x.n;
    out.add(x.h);
  }
  return out;
}

/** num_cgroups of the hierarchy (its controllers share one count); 0 for a named hierarchy. */
function hierarchyTotal(h: CgroupHierarchy, subs: CgroupSubsys[]): number {
  return Math.max(0, ...subs.filter((s) => h.controllers.includes(s.name)).map((s) => s.numCgroups));
}

function v1Hierarchy(
  host: Host,
  h: CgroupHierarchy,
  subs: CgroupSubsys[],
  opts: ControllerOptions,
  walk: boolean,
): ControllerFacts[] {
  const base = { version: 1 as const, mountPoint: h.mountPoint };
  const named = h.controllers.filter((c) => c.startsWith("name="));
  const mine = subs.filter((s) => h.controllers.includes(s.name));
  const out: ControllerFacts[] = named.map((name) => ({
    ...base,
    name,
    sharedWith: [],
    kernelTotal: null,
    live: null,
    dying: null,
    source:
      "a named hierarchy has no /proc/cgroups line: the kernel's count of its cgroups, and so its dying ones, cannot be read",
  }));
  if (mine.length === 0) return out;
  const live = liveDirs(host, h, hierarchyTotal(h, subs), opts, walk);
  for (const s of mine) {
    if (s.name === "memory") {
      const m = opts.memory;
      out.push({
        ...base,
        name: s.name,
        sharedWith: mine.filter((o) => o !== s).map((o) => o.name),
        kernelTotal: m.kernelTotal,
        live: m.live,
        dying: m.dying,
        source: m.dyingSource,
      });
      continue;
    }
    const sharedWith = mine.filter((o) => o !== s).map((o) => o.name);
    const dying = typeof live.count === "number" && h.root === "/" ? Math.max(0, s.numCgroups - live.count) : null;
    const source =
      h.root !== "/"
        ? `this mount shows only ${h.root} (a cgroup namespace): the dying cannot be told from cgroups outside it`
        : live.source;
    out.push({ ...base, name: s.name, sharedWith, kernelTotal: s.numCgroups, live: live.count, dying, source });
  }
  return out;
}

function liveDirs(
  host: Host,
  h: CgroupHierarchy,
  total: number,
  opts: ControllerOptions,
  walk: boolean,
): { count: number | null; source: string } {
  if (h.controllers.includes("memory")) return { count: opts.memory.live, source: opts.memory.dyingSource };
  if (!walk) {
    return {
      count: null,
      source: `not walked: the kernel counts ${total} cgroups in this hierarchy, past the default budget of ${opts.walkUpTo} for all hierarchies but memory's (a walk costs one stat per cgroup); --deep walks every hierarchy`,
    };
  }
  // A host root that shows only some hierarchies (a fixture, a container given only memory's).
  if (!host.exists(h.mountPoint))
    return { count: null, source: `${h.mountPoint} is not there to walk under the host root` };
  const count = walkCgroupDirs(host.path(h.mountPoint), () => {}).dirs;
  return { count, source: "/proc/cgroups num_cgroups minus live directories" };
}

function v2Hierarchy(host: Host, h: CgroupHierarchy, opts: ControllerOptions): ControllerFacts[] {
  const file = `${h.mountPoint}/cgroup.stat`;
  const text = host.readTextIfExists(file);
  if (text === undefined) return [];
  const st = parseCgroupStat(text, file);
  const base = { version: 2 as const, mountPoint: h.mountPoint, sharedWith: [] };
  if (st.subsys.size === 0) {
    return [
      {
        ...base,
        name: "cgroup2",
        kernelTotal: st.nrDescendants + 1 + st.nrDyingDescendants,
        live: st.nrDescendants + 1,
        dying: st.nrDyingDescendants,
        source:
          "cgroup.stat nr_dying_descendants: dying cgroups of the whole v2 hierarchy, any controller (per-controller counts need 6.12+)",
      },
    ];
  }
  return [...st.subsys].map(([name, n]) => {
    if (name === "memory" && opts.memory.version === 2) {
      const m = opts.memory;
      return { ...base, name, kernelTotal: m.kernelTotal, live: m.live, dying: m.dying, source: m.dyingSource };
    }
    return {
      ...base,
      name,
      kernelTotal: n.live + n.dying,
      live: n.live,
      dying: n.dying,
      source: `cgroup.stat nr_subsys_${name} and nr_dying_subsys_${name}`,
    };
  });
}
