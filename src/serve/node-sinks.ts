import type { ScanReport } from "../analyze/report.js";
import type { Forecast } from "../analyze/forecast.js";
import { desiredFrom } from "../kube/condition.js";
import type { KubeSink } from "../kube/sink.js";
import { updateSentinel } from "../kube/sentinel.js";

/** What the node's own object and kured see, fed after every tick; never waits for either. */
export interface NodeSinks {
  afterTick(report: ScanReport | null, forecast: Forecast | null, walked: boolean): void;
  close(): Promise<void>;
}

export interface NodeSinksOptions {
  kube: KubeSink | null;
  sentinel: string | null;
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
  let sentinelError = "";
  return {
    afterTick(report, forecast, walked) {
      if (report === null) return;
      if (o.kube !== null) {
        // Every walk refreshes the heartbeat; between walks only a changed message is worth a PATCH
        // (the forecast moves every tick, a 30 s heartbeat per node would load the API server).
        const ttc = ttcOf(forecast);
        const d = desiredFrom(report, ttc, 0);
        const key = `${d.status}|${d.reason}|${d.message}`;
        if (walked || key !== sentKey) {
          sentKey = key;
          o.kube.update(report, ttc);
        }
      }
      if (o.sentinel !== null && walked) {
        try {
          updateSentinel(o.sentinel, report);
          sentinelError = "";
        } catch (err) {
          const msg = `reboot sentinel ${o.sentinel}: ${(err as Error).message}`;
          if (msg !== sentinelError) o.log(msg);
          sentinelError = msg;
        }
      }
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
