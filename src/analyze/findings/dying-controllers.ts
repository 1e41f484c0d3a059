import type { DiagnosisInput } from "../diagnose.js";
import type { Finding } from "../finding.js";
import type { ControllerFacts } from "../../collect/controllers.js";
import { formatCount } from "../format.js";

/**
 * A non-memory css has no page cache to outlive its cgroup: after rmdir it is freed within an RCU
 * grace period and a work item (kernel/cgroup/cgroup.c css_release_work_fn, css_free_rwork_fn),
 * so a scan catches only those in flight, roughly removals per second × well under a second: a
 * few, even on a node restarting 10 pods a second. 100 is an order of magnitude above that and
 * still far below what costs a node anything (a dying cpu css keeps a cfs_rq and a sched_entity per
 * CPU). `cgleak serve` also compares each walk with the one before: a count that grew by
 * DYING_CSS_GROWTH is a leak in progress well before it reaches the level.
 */
export const NOTABLE_DYING_CSS = 100;
/** Growth from one walk to the next that in-flight frees (a few at any instant) cannot explain. */
export const DYING_CSS_GROWTH = 20;

interface Over {
  c: ControllerFacts;
  before: number | null;
}

/** Dying cgroups in controllers other than memory: something keeps removed cgroups' state alive. */
export function dyingControllersFinding(d: DiagnosisInput): Finding | null {
  const before = d.report.controllersBefore ?? null;
  const over: Over[] = (d.report.controllers ?? [])
    .filter((c) => c.name !== "memory" && c.dying !== null)
    .map((c) => ({ c, before: before?.dying[c.name] ?? null }))
    .filter(
      ({ c, before: b }) =>
        (c.dying ?? 0) >= NOTABLE_DYING_CSS || (b !== null && (c.dying ?? 0) - b >= DYING_CSS_GROWTH),
    );
  if (over.length === 0) return null;
  const worst = [...over].sort((a, b) => (b.c.dying ?? 0) - (a.c.dying ?? 0));
  const since = before === null ? "" : ` (the walk at ${new Date(before.atMs).toISOString()})`;
  return {
    id: "dying-controllers",
    severity: "warning",
    title: `${worst.map(label).join(", ")}: removed cgroups stay dying in controllers other than memory, which page cache cannot explain`,
    evidence: worst.map(({ c, before: b }) => ({
      from: c.source,
      value:
        `${formatCount(c.dying ?? 0)} dying, ${c.live === null ? "?" : formatCount(c.live)} live ${c.name} cgroups` +
        (b === null ? "" : `; ${formatCount(b)} dying at the previous walk${since}`),
    })),
    fix: [
      "Look for zombies: a process that exited but was not reaped keeps its css_set, and so its cgroup's state in every controller, until its parent waits for it (ps -eo stat,ppid,pid,comm | awk '$1 ~ /^Z/'); restart or fix the parent that does not reap",
      "io on cgroup v2: a removed cgroup's pages under writeback hold its io css until they are written: sync",
      "If the count keeps growing with no zombie, the kernel leaks: compare with a newer kernel (cgleak serve records the counts over time)",
    ],
    sources: [
      "docs/dying-controllers.md",
      "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/kernel/cgroup/cgroup.c (cgroup_exit, cgroup_free)",
    ],
  };
}

function label({ c, before }: Over): string {
  const now = c.dying ?? 0;
  const grew = before !== null && now - before >= DYING_CSS_GROWTH ? ` (up from ${formatCount(before)})` : "";
  return `${formatCount(now)} dying ${c.name}${grew}`;
}
