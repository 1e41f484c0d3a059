/**
 * Runs the walk off the daemon's event loop: on 10,000 memcgs it takes 0.1-0.4 s, and a scrape
 * arriving meanwhile must not wait for it. Receives { root, scan }, answers { report } or { error }.
 */
import { parentPort } from "node:worker_threads";
import { Host } from "../host/host.js";
import { runScan, type ScanOptions } from "../scan.js";

parentPort?.on("message", (m: { root: string; scan: ScanOptions }) => {
  try {
    parentPort?.postMessage({ report: runScan(new Host(m.root), m.scan) });
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
