/**
 * Runs the walk off the daemon's event loop: on 10,000 memcgs it takes 0.1-0.4 s, and a scrape
 * arriving meanwhile must not wait for it. The host's logs are read here too, before the walk, for
 * the same reason. Receives { root, scan }, answers { report, logLines } or { error }.
 */
import { parentPort } from "node:worker_threads";
import { Host } from "../host/host.js";
import { runScan, type ScanOptions } from "../scan.js";
import { defaultLogSources } from "../logs/sources.js";
import type { LogReport } from "../logs/scan-logs.js";
import { LogCheck } from "./log-check.js";

const check = new LogCheck();

parentPort?.on("message", (m: { root: string; scan: ScanOptions }) => {
  void walk(m).then((answer) => parentPort?.postMessage(answer), (err: unknown) => {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  });
});

async function walk(m: { root: string; scan: ScanOptions }): Promise<object> {
  const host = new Host(m.root);
  const now = Date.now();
  const { logs, logLines } = await readLogs(host, now);
  return { report: runScan(host, { ...m.scan, logs }), logLines };
}

/** No usual log on this host: null, as `explain` says "not read" rather than "none found". */
async function readLogs(host: Host, now: number): Promise<{ logs: LogReport | null; logLines: number }> {
  const sources = defaultLogSources(host);
  if (sources.length === 0) return { logs: null, logLines: 0 };
  const r = await check.read(host, sources, now);
  return { logs: r.forFindings, logLines: r.newLines };
}
