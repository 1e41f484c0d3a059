import type { Registry } from "prom-client";
import type { Host } from "../host/host.js";
import type { ReapContext } from "../actions/reap.js";
import type { PassReport } from "../actions/reap-report.js";
import { Reaper, type ReaperTotals } from "../actions/reap-loop.js";
import { registerReapMetrics } from "../sinks/reap-metrics.js";

/** Store key: the reaper's totals and its recent passes (kept across restarts). */
export const REAP_STATE_KEY = "reap";
const KEPT_PASSES = 50;

export interface ServeReapOptions {
  context: ReapContext;
  /** `--kube`: one Event on the node per pass that acted or found only unreclaimable pins. */
  onEvent?: ((r: PassReport) => void) | null;
}

interface StoredReap {
  passes: PassReport[];
}

/**
 * The daemon's side of `serve --reap`, kept apart from the sampler: its own timer, its metrics on
 * the daemon's registry, its passes in the store, its Kubernetes events.
 */
export function startServeReaper(
  o: ServeReapOptions,
  registry: Registry,
  store: { get(): unknown; put(v: unknown): void },
  log: (line: string) => void,
): Reaper {
  const kept: PassReport[] = ((store.get() as StoredReap | undefined)?.passes ?? []).slice(-KEPT_PASSES);
  const reaper = new Reaper(o.context, {
    log,
    onPass: (r: PassReport, _t: ReaperTotals) => {
      if (r.verdict === "on-target") return; // the common case: nothing worth a row or an event
      kept.push(r);
      if (kept.length > KEPT_PASSES) kept.splice(0, kept.length - KEPT_PASSES);
      store.put({ passes: kept });
      if (r.verdict === "acted" || r.verdict === "nothing-to-do") o.onEvent?.(r);
    },
  });
  registerReapMetrics(registry, () => reaper.totals);
  reaper.start();
  return reaper;
}

export interface ServeReapFlags {
  policyFile?: string;
  under?: string;
  stateFile: string;
  kube: boolean;
}

/** `serve --reap`'s start-up: the policy, the checks, the crash recovery, the events. A string is a usage error. */
export async function openServeReaper(
  host: Host,
  f: ServeReapFlags,
  log: (line: string) => void,
): Promise<ServeReapOptions | string> {
  if (process.geteuid?.() !== 0) return "--reap needs root: it writes cgroup files";
  const { DEFAULT_POLICY } = await import("../actions/reap-policy.js");
  let policy = DEFAULT_POLICY;
  if (f.policyFile !== undefined) {
    const { readPolicyFile } = await import("../actions/reap-policy-file.js");
    try {
      policy = readPolicyFile(f.policyFile);
    } catch (err) {
      return `--reap-policy: ${(err as Error).message}`;
    }
  }
  const { openReaper } = await import("../actions/reap-run.js");
  // --reap is the explicit opt-in on a working node: the runtime guard does not ask again
  const c = await openReaper(host, {
    policy,
    stateFile: f.stateFile,
    dryRun: false,
    yes: true,
    observeMs: 1500,
    under: f.under ?? "",
    say: (l) => log(`reap: ${l}`),
  });
  if ("refused" in c) return `--reap: ${c.refused}`;
  let onEvent: ((r: PassReport) => void) | null = null;
  if (f.kube) {
    const { clientKubeApi, nodeNameFromEnv } = await import("../kube/client.js");
    const { ReapEvents } = await import("../kube/reap-event.js");
    const events = new ReapEvents(await clientKubeApi(), nodeNameFromEnv(), log);
    onEvent = (r) => void events.post(r);
  }
  log(`reap: policy ${JSON.stringify(policy)}${f.under ? `, only below ${f.under}` : ""}`);
  return { context: c, onEvent };
}
