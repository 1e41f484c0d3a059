import * as fs from "node:fs";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import type { Host } from "../host/host.js";
import type { ScanOptions } from "../scan.js";
import { createMetrics } from "../sinks/metrics.js";
import { Sampler } from "./sampler.js";
import { createServer, listen } from "./http.js";
import { Walker } from "./walker.js";
import { openStore, type Store } from "../store/store.js";

export interface DaemonOptions {
  host: Host;
  scan: ScanOptions;
  listenHost: string;
  port: number;
  intervalMs: number;
  walkIntervalMs: number;
  windowMs: number;
  db: string;
  version: string;
  log: (line: string) => void;
}

export interface Daemon { address: AddressInfo; sampler: Sampler; close(): Promise<void> }

const COMPACT_EVERY_MS = 3_600_000;

/** Opens the database, creating its directory; errors are the sampler's to log and retry. */
function opener(db: string): () => Store {
  return () => {
    if (db !== ":memory:") fs.mkdirSync(path.dirname(db), { recursive: true });
    // A short wait: a lock is retried next tick with the pending samples; the event loop must not stall.
    return openStore(db, { busyTimeoutMs: 50 });
  };
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const walker = new Walker(o.host.root, o.scan);
  const sampler = new Sampler({ host: o.host, scan: o.scan, walkIntervalMs: o.walkIntervalMs, windowMs: o.windowMs, openStore: opener(o.db), log: o.log, walk: () => walker.walk() });
  await sampler.tick(); // the first scrape already has figures
  const metrics = createMetrics(sampler, o.version);
  const renderer = { render: () => metrics.render(), contentType: metrics.registry.contentType };
  const server = createServer({ sampler, intervalMs: o.intervalMs, walkIntervalMs: o.walkIntervalMs, now: Date.now, log: o.log }, renderer);
  const address = await listen(server, o.listenHost, o.port).catch(async (err: unknown) => {
    sampler.db.close();
    await walker.close();
    throw err;
  });
  const tick = setInterval(() => void sampler.tick(), o.intervalMs);
  const compact = setInterval(() => sampler.db.compact(Date.now()), COMPACT_EVERY_MS);
  compact.unref();
  return {
    address,
    sampler,
    async close() {
      clearInterval(tick);
      clearInterval(compact);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await walker.close();
      try {
        sampler.db.close(); // flushes the WAL
      } catch (err) {
        o.log(`database ${o.db}: close failed: ${(err as Error).message}`);
      }
      await closed;
    },
  };
}
