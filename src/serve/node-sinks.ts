import type { Forecast } from "../analyze/forecast.js";
import { desiredFrom, type ReaperView } from "../kube/condition.js";
import type { KubeSink } from "../kube/sink.js";
import { updateSentinel } from "../kube/sentinel.js";
import { npdVerdict, unknownVerdict, type ProblemAt } from "../kube/verdict.js";
import { writeNpdStatus } from "./npd-status.js";
import { walkError, type Exporter } from "./tick.js";

/** What the node's own object, kured and node-problem-detector see: one exporter each, none waits. */
export interface NodeSinksOptions {
  kube: KubeSink | null;
  sentinel: string | null;
  /** `--npd-status FILE`: the NPD verdict, rewritten every tick so its age says serve is alive. */
  npdStatus?: { file: string; problemAt: ProblemAt } | null;
  /** `--reap`: what the reaper has freed, for the condition's message (read at each tick). */
  reaper?: () => ReaperView | null;
}

/**
 * A forecast with no rate at all (too few samples yet) says nothing about the time to the cap:
 * the condition's message then leaves the sentence out rather than claim "not leaking".
 */
export function ttcOf(f: Forecast | null): { secondsToCap: number | null } | undefined {
  return f === null || f.ratePerSecond === null ? undefined : { secondsToCap: f.secondsToCap };
}

/** The configured ones, in the order the daemon always fed them: NPD, the node object, kured. */
export function nodeExporters(o: NodeSinksOptions): Exporter[] {
  const out: Exporter[] = [];
  if (o.npdStatus) out.push(npdExporter(o.npdStatus));
  if (o.kube !== null) out.push(kubeExporter(o.kube, o.reaper ?? (() => null)));
  if (o.sentinel !== null) out.push(sentinelExporter(o.sentinel));
  return out;
}

/** Unknown (exit 2) while there is no assessment or the last walk failed: the report is then an old one. */
export function npdExporter(npd: { file: string; problemAt: ProblemAt }, now = Date.now): Exporter {
  return {
    name: "npd",
    export(t) {
      const err = walkError(t);
      const v =
        err !== null || t.report === null
          ? unknownVerdict(err ?? "no assessment yet")
          : npdVerdict(t.report, npd.problemAt);
      inContext(`node-problem-detector status ${npd.file}`, () => writeNpdStatus(npd.file, v, now()));
    },
  };
}

export function kubeExporter(kube: KubeSink, reaper: () => ReaperView | null): Exporter {
  let sentKey = "";
  return {
    name: "kube",
    export(t) {
      if (t.report === null) return;
      // Every walk refreshes the heartbeat; between walks only a changed message is worth a PATCH
      // (the forecast moves every tick, a 30 s heartbeat per node would load the API server).
      const ttc = ttcOf(t.forecast);
      const r = reaper();
      const d = desiredFrom(t.report, ttc, 0, r);
      const key = `${d.status}|${d.reason}|${d.message}`;
      if (!t.walked && key === sentKey) return;
      sentKey = key;
      kube.update(t.report, ttc, r);
    },
    async close() {
      // A last wish in flight gets a moment; an absent API server must not hold up SIGTERM.
      // (Not unref'd: an unref'd timer alone would let the loop drain before the daemon says it stopped.)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([kube.idle(), new Promise((r) => (timer = setTimeout(r, 500)))]);
      clearTimeout(timer);
      kube.close();
    },
  };
}

/** kured's file follows each walk's assessment. */
export function sentinelExporter(file: string): Exporter {
  return {
    name: "sentinel",
    export(t) {
      const r = t.report;
      if (r !== null && t.walked) inContext(`reboot sentinel ${file}`, () => updateSentinel(file, r));
    },
  };
}

/** A file write's error names what it was writing, for the daemon's one log line. */
function inContext(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}
