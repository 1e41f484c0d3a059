import type { ReapContext } from "../actions/reap.js";
import type { ReaperTotals } from "../actions/reap-loop.js";
import type { PassReport } from "../actions/reap-report.js";

export interface EveryOptions {
  /** Where the totals go after every pass, for `serve --reap-status`; null: nowhere. */
  statusFile: string | null;
  /** `--kube`: one Event on the node per pass that acted or found only unreclaimable pins. */
  kube: boolean;
  say: (line: string) => void;
}

/**
 * `cgleak reap --every`: `serve --reap`'s loop without an HTTP server or a sampler. The deploy runs
 * it as the root writer container, apart from the non-root server that listens; the server shows
 * what this writes to the status file. Runs until SIGTERM or SIGINT; a pass in flight restores its
 * limit before the process ends.
 */
export async function reapEvery(c: ReapContext, o: EveryOptions): Promise<void> {
  const stop = new Promise<string>((resolve) => {
    for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
  });
  const { Reaper } = await import("../actions/reap-loop.js");
  const { writeReapStatus } = await import("../actions/reap-status.js");
  const log = (line: string): void => o.say(`${new Date().toISOString()} ${line.replace(/^reap: /, "")}`);
  const onEvent = o.kube ? await events(log) : null;
  const status = (t: ReaperTotals): void => {
    if (o.statusFile === null) return;
    try {
      writeReapStatus(o.statusFile, { dryRun: c.dryRun, policy: c.policy, totals: t });
    } catch (err) {
      log(`--status-file: ${(err as Error).message}`);
    }
  };
  const reaper = new Reaper(c, {
    log,
    onPass: (r: PassReport, t: ReaperTotals) => {
      status(t);
      if (r.verdict === "acted" || r.verdict === "nothing-to-do") onEvent?.(r);
    },
  });
  status(reaper.totals); // the server shows "running, no pass yet" rather than "no status"
  log(
    `every ${Math.round(c.policy.intervalMs / 1000)} s (up to ${Math.round(c.policy.maxIntervalMs / 1000)} s ` +
      `after fruitless passes)${c.dryRun ? ", dry run" : ""}`,
  );
  reaper.start(0);
  const alive = setInterval(() => {}, 3_600_000); // the reaper's timer is unref'd: this process has nothing else
  const signal = await stop;
  clearInterval(alive);
  await reaper.stop();
  log(`${signal}: stopped`);
}

async function events(log: (line: string) => void): Promise<(r: PassReport) => void> {
  const { clientKubeApi, nodeNameFromEnv } = await import("../kube/client.js");
  const { ReapEvents } = await import("../kube/reap-event.js");
  const e = new ReapEvents(await clientKubeApi(), nodeNameFromEnv(), log);
  return (r) => void e.post(r);
}
