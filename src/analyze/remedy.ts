import type { KernelModel } from "../knowledge/kernel-model.js";
import type { RuntimeVerdict } from "../knowledge/runtime-facts.js";
import type { IdUse } from "./ids.js";
import type { Level, ScanReport, Thresholds } from "./report.js";
import { formatBytes, formatCount, formatPercent } from "./format.js";

/**
 * What to do about the node, decided once: every command, the node condition, the sentinel and
 * kured read this. "reboot" only when nothing short of one can free the IDs that matter.
 */
export type RemedyAction = "none" | "watch" | "reclaim" | "stop-leak" | "reduce-live" | "reboot";

export interface Remedy {
  action: RemedyAction;
  /** One sentence for a person: what to do and why. */
  sentence: string;
  /** The command to run first, when there is one. */
  command: string | null;
  /** A few words for a title or an 80-character line. */
  short: string;
}

const SHORT: Record<RemedyAction, string> = {
  none: "nothing to do",
  watch: "watch the trend",
  reclaim: "reclaim first (cgleak reclaim --drop-caches), reboot only if the count does not fall",
  "stop-leak": "stop the leak, plan a reboot before the cap",
  "reduce-live": "remove leaked cgroups or run fewer pods",
  reboot: "only a reboot frees them: drain the node and reboot it",
};

function remedy(action: RemedyAction, sentence: string, command: string | null = null): Remedy {
  return { action, sentence, command, short: SHORT[action] };
}

export interface RebootVerdict {
  needed: boolean;
  /** One short sentence (check --kured prints it in at most 80 characters). */
  why: string;
}

/** What the remedy rests on: the numbers, the kernel model and the runtimes. */
export interface RemedyInput {
  report: Pick<ScanReport, "memcg" | "dying" | "kmem" | "cgroup">;
  ids: IdUse;
  level: Level;
  thresholds: Thresholds;
  model: KernelModel;
  runtimes: RuntimeVerdict[] | null;
}

/** Below this many dying memcgs nothing needs doing: every removed pod leaves a few for a while. */
export const NOTABLE_DYING = 100;

/**
 * Is kmem accounting switched on where it matters? true when live pod memcgs show kmem usage or a
 * runtime's version switches it on; false when the check ran and found none; null when unknown.
 */
export function kmemSwitchedOn(r: RemedyInput["report"], runtimes: RuntimeVerdict[] | null): boolean | null {
  if ((runtimes ?? []).some((v) => v.enablesKmem === true)) return true;
  if (!r.kmem.checked) return null;
  return r.kmem.podOn > 0 || (r.kmem.podOf === 0 && r.kmem.on > 0);
}

/** Dying memcgs that reclaim can never free on this kernel: the RHEL 7 kmem-and-fork leak at work. */
export function neverFreed(d: RemedyInput): boolean {
  return d.model.kmemForkLeak.value === true && kmemSwitchedOn(d.report, d.runtimes) !== false;
}

export function decideRemedy(d: RemedyInput): Remedy {
  const { ids, report: r, thresholds: t } = d;
  const dying = r.memcg.dying;
  const liveRatio = r.memcg.live / ids.cap;
  // Live memcgs alone past the critical mark: no reboot or reclaim gives those IDs back.
  const reduceLive = liveRatio >= t.warn;
  if (ids.dyingHoldIds === true && dying > 0 && d.level !== "ok" && liveRatio < t.crit) return holdIdsRemedy(d);
  if (reduceLive) {
    return remedy(
      "reduce-live",
      `${formatCount(r.memcg.live)} live memcgs alone use ${formatPercent(liveRatio)} of the IDs: remove leaked empty cgroups or run fewer pods on this node; a reboot would not help`,
      "cgleak clean-empty",
    );
  }
  if (dying >= Math.min(NOTABLE_DYING, t.dyingWarn) && (r.dying.pinnedBytes ?? 0) > 0) {
    return remedy(
      "reclaim",
      `${formatCount(dying)} dying memcgs pin ${formatBytes(r.dying.pinnedBytes ?? 0)} of page cache: cgleak reclaim (or cgleak reap) frees what page cache pins`,
      "cgleak reclaim --drop-caches",
    );
  }
  if (d.level !== "ok")
    return remedy("watch", "Watch the trend (cgleak serve, cgleak forecast) and follow the findings", null);
  return remedy("none", "Nothing to do", null);
}

/** Where each dying memcg holds an ID (RHEL 7's 3.10, kernels before 4.8). */
function holdIdsRemedy(d: RemedyInput): Remedy {
  const { ids, report: r, thresholds: t } = d;
  const dying = r.memcg.dying;
  const liveAlonePastCrit = r.memcg.live / ids.cap >= t.crit;
  const atCrit = ids.usedLow / ids.cap >= t.crit && !liveAlonePastCrit;
  const pinned = r.dying.pinnedBytes;
  if (neverFreed(d)) {
    if (atCrit)
      return remedy(
        "reboot",
        `${formatCount(dying)} dying memcgs hold IDs that this kernel never frees (kmem accounting and fork): drain the node and reboot it, after stopping the leak`,
        "kubectl drain <node> --ignore-daemonsets",
      );
    return remedy(
      "stop-leak",
      "Stop the leak now (runc, kubelet or cgroup.memory=nokmem); the memcgs already leaked go only at a reboot: plan one before the cap",
      null,
    );
  }
  if (pinned !== null && pinned > 0) {
    return remedy(
      "reclaim",
      `Page cache pins ${formatBytes(pinned)} in dying memcgs that hold IDs: cgleak reclaim --drop-caches frees those, then check again; if the dying count does not fall, what pins them is kernel memory and only a reboot frees it`,
      "cgleak reclaim --drop-caches",
    );
  }
  if (atCrit && pinned === 0) {
    return remedy(
      "reboot",
      `${formatCount(dying)} dying memcgs hold IDs and no page cache pins them, so reclaim cannot free them on this kernel: drain the node and reboot it`,
      "kubectl drain <node> --ignore-daemonsets",
    );
  }
  return remedy(
    "stop-leak",
    "Find what leaves the dying memcgs (kmem accounting, tmpfs files, page cache) and stop it; plan a reboot before the cap",
    null,
  );
}

/** The reboot decision is the remedy's, in the words kured's log shows. */
export function rebootFrom(remedy: Remedy, ids: IdUse, dying: number, t: Thresholds): RebootVerdict {
  const used = `(IDs at ${formatPercent(ids.usedLow / ids.cap)} of cap)`;
  if (remedy.action === "reboot")
    return { needed: true, why: `${formatCount(dying)} dying memcgs hold IDs only a reboot frees ${used}` };
  const why: Record<Exclude<RemedyAction, "reboot">, string> = {
    none: `nothing to free ${used}`,
    watch: `nothing a reboot would fix ${used}`,
    reclaim: `dying memcgs can still be freed: cgleak reclaim ${used}`,
    "stop-leak":
      ids.usedLow / ids.cap < t.crit
        ? `below the ${formatPercent(t.crit)} critical mark ${used}`
        : `stop the leak first ${used}`,
    "reduce-live": `live memcgs use the IDs: delete pods ${used}`,
  };
  return {
    needed: false,
    why:
      ids.dyingHoldIds === false && remedy.action !== "reduce-live"
        ? `dying memcgs hold no IDs on this kernel ${used}`
        : why[remedy.action],
  };
}
