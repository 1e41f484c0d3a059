import type { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { nodeModel } from "../knowledge/kernel-model.js";
import { refuseOnWorkingNode } from "./guard.js";
import { methodUnavailable, type ReapPolicy } from "./reap-policy.js";
import { LimitJournal } from "./reap-state.js";
import { reapPass, type ReapContext } from "./reap.js";
import type { PassReport } from "./reap-report.js";

export interface ReapRunOptions {
  policy: ReapPolicy;
  stateFile: string;
  dryRun: boolean;
  yes: boolean;
  passes: number;
  observeMs: number;
  /** Relative to the memory hierarchy: the reaper touches nothing outside it ("" everything). */
  under: string;
  /** Where start-up notes go (restored limits). */
  say: (line: string) => void;
}

/**
 * The context every pass shares, after the checks and the crash recovery: limits a killed reaper
 * left lowered are restored before anything else (the journal, src/actions/reap-state.ts).
 */
export async function openReaper(
  host: Host,
  o: Omit<ReapRunOptions, "passes">,
): Promise<ReapContext | { refused: string }> {
  if (!o.dryRun && process.getuid?.() !== 0)
    return { refused: "needs root to write cgroup files (--dry-run does not)" };
  const node = collectNode(host);
  const h = node.memory;
  if (h === null) return { refused: "no cgroup hierarchy has the memory controller" };
  const under = relUnder(o.under, h.mountPoint);
  if (under === null) return { refused: `--under: expected a cgroup below ${h.mountPoint}, got "${o.under}"` };
  if (under !== "" && !host.exists(`${h.mountPoint}/${under}`))
    return { refused: `no such cgroup: ${h.mountPoint}/${under}` };
  const bad = methodUnavailable(o.policy.method, h.version);
  if (bad !== null) return { refused: bad };
  if (!o.dryRun) {
    const refused = refuseOnWorkingNode(host, o.yes, "reclaim memory (reap)");
    if (refused !== undefined) return { refused };
  }
  const journal = new LimitJournal(o.stateFile);
  if (!o.dryRun) for (const line of await journal.restoreAll(o.policy.writeTimeoutMs)) o.say(line);
  const model = nodeModel(node);
  return {
    host,
    h,
    policy: o.policy,
    journal,
    dryRun: o.dryRun,
    stuck: new Map(),
    observeMs: o.observeMs,
    under,
    dyingHoldIds: model.dyingHoldIds.value === true,
    kmemLeak: model.kmemForkLeak.value === true,
  };
}

/** Up to `passes` passes, stopping once on target or when a pass could do nothing. */
export async function runReap(host: Host, o: ReapRunOptions): Promise<PassReport[] | { refused: string }> {
  const c = await openReaper(host, o);
  if ("refused" in c) return c;
  const out: PassReport[] = [];
  for (let i = 0; i < o.passes; i++) {
    const r = await reapPass(c);
    out.push(r);
    if (r.verdict !== "acted" || r.dyingFreed === 0) break;
  }
  return out;
}

/** A cgroup given as a full path under the mount or relative to it; null when it climbs out. */
export function relUnder(p: string, mountPoint: string): string | null {
  const full = p === mountPoint ? "" : p.startsWith(mountPoint + "/") ? p.slice(mountPoint.length + 1) : p;
  const rel = full.replace(/^\/+|\/+$/g, "");
  return rel.split("/").includes("..") ? null : rel;
}
