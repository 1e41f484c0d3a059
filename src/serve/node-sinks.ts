import type { ScanReport } from "../analyze/report.js";
import type { Forecast } from "../analyze/forecast.js";
import { desiredFrom, type ReaperView } from "../kube/condition.js";
import type { KubeSink } from "../kube/sink.js";
import { updateSentinel } from "../kube/sentinel.js";
import { npdVerdict, unknownVerdict, type ProblemAt } from "../kube/verdict.js";
import { writeNpdStatus } from "./npd-status.js";

/** What the node's own object, kured and node-problem-detector see, fed after every tick; never waits. */
export interface NodeSinks {
  /** `walkError`: why the last walk failed (the report, if any, is then an old one), or null. */
  afterTick(report: ScanReport | null, forecast: Forecast | null, walked: boolean, walkError?: string | null): void;
  close(): Promise<void>;
}

export interface NodeSinksOptions {
  kube: KubeSink | null;
  sentinel: string | null;
  /** `--npd-status FILE`: the NPD verdict, rewritten every tick so its age says serve is alive. */
  npdStatus?: { file: string; problemAt: ProblemAt } | null;
  /** `--reap`: what the reaper has freed, for the condition's message (read at each tick). */
  reaper?: () => ReaperView | null;
  log: (line: string) => void;
}

/**
 * A forecast with no rate at all (too few samples yet) says nothing about the time to the cap:
 * the condition's message then leaves the sentence out rather than claim "not leaking".
 */
export function ttcOf(f: Forecast | null): { secondsToCap: number | null } | undefined {
  return f === null || f.ratePerSecond === null ? undefined : { secondsToCap: f.secondsToCap };
}

export function createNodeSinks(o: NodeSinksOptions): NodeSinks {
  let sentKey = "";
  const logOnce = onceLogger(o.log);
  const npd = o.npdStatus ?? null;
  return {
    afterTick(report, forecast, walked, walkError = null) {
      if (npd !== null) {
        const v = walkError !== null || report === null ? unknownVerdict(walkError ?? "no assessment yet") : npdVerdict(report, npd.problemAt);
        logOnce("npd", `node-problem-detector status ${npd.file}`, () => writeNpdStatus(npd.file, v, Date.now()));
      }
      if (report === null) return;
      if (o.kube !== null) {
        // Every walk refreshes the heartbeat; between walks only a changed message is worth a PATCH
        // (the forecast moves every tick, a 30 s heartbeat per node would load the API server).
        const ttc = ttcOf(forecast);
        const reaper = o.reaper?.() ?? null;
        const d = desiredFrom(report, ttc, 0, reaper);
        const key = `${d.status}|${d.reason}|${d.message}`;
        if (walked || key !== sentKey) {
          sentKey = key;
          o.kube.update(report, ttc, reaper);
        }
      }
      const sentinel = o.sentinel;
      if (sentinel !== null && walked) logOnce("sentinel", `reboot sentinel ${sentinel}`, () => updateSentinel(sentinel, report));
    },
    async close() {
      if (o.kube === null) return;
      // A last wish in flight gets a moment; an absent API server must not hold up SIGTERM.
      // (Not unref'd: an unref'd timer alone would let the loop drain before the daemon says it stopped.)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([o.kube.idle(), new Promise((r) => (timer = setTimeout(r, 500)))]);
      clearTimeout(timer);
      o.kube.close();
    },
  };
}

/** Runs a file write; a failure is logged once until it changes or the write succeeds again. */
function onceLogger(log: (line: string) => void): (key: string, what: string, fn: () => unknown) => void {
  const last = new Map<string, string>();
  return (key, what, fn) => {
    try {
      fn();
      last.delete(key);
    } catch (err) {
      const msg = `${what}: ${(err as Error).message}`;
      if (msg !== last.get(key)) log(msg);
      last.set(key, msg);
    }
  };
}
