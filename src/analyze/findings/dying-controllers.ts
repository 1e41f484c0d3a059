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
 * CPU). A count that grows from scan to scan needs the history (`cgleak serve` stores the memory
 * count; this is the level).
 */
export const NOTABLE_DYING_CSS = 100;

/** Dying cgroups in controllers other than memory: something keeps removed cgroups' state alive. */
export function dyingControllersFinding(d: DiagnosisInput): Finding | null {
  const over = (d.report.controllers ?? []).filter((c) => c.name !== "memory" && (c.dying ?? 0) >= NOTABLE_DYING_CSS);
  if (over.length === 0) return null;
  const worst = [...over].sort((a, b) => (b.dying ?? 0) - (a.dying ?? 0));
  return {
    id: "dying-controllers",
    severity: "warning",
    title: `${worst.map(label).join(", ")}: removed cgroups stay dying in controllers other than memory, which page cache cannot explain`,
    evidence: worst.map((c) => ({
      from: c.source,
      value: `${formatCount(c.dying ?? 0)} dying, ${c.live === null ? "?" : formatCount(c.live)} live ${c.name} cgroups`,
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

function label(c: ControllerFacts): string {
  return `${formatCount(c.dying ?? 0)} dying ${c.name}`;
}
