import * as fs from "node:fs";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import type { Host } from "../host/host.js";
import type { ScanOptions } from "../scan.js";
import type { KubeSink } from "../kube/sink.js";
import type { ServeReapOptions } from "../serve/reap.js";
import type { Exporter } from "../serve/tick.js";
import { createMetrics, type Metrics } from "../sinks/metrics.js";
import { Sampler } from "../serve/sampler.js";
import { Collectors } from "../serve/collectors.js";
import { Persistence } from "../serve/db.js";
import { ExportList, LatestTick } from "../serve/exporters.js";
import { startLoop } from "../serve/daemon.js";
import { createServer, listen } from "../serve/http.js";
import { Walker } from "../serve/walker.js";
import { openStore, type Store } from "../store/store.js";
import { nodeExporters } from "../serve/node-sinks.js";
import { ServeTrace } from "../serve/trace.js";
import { readBootId } from "../serve/cheap.js";
import { PodCache } from "../kube/pod-cache.js";

export interface DaemonOptions {
  host: Host;
  scan: ScanOptions;
  listenHost: string;
  port: number;
  intervalMs: number;
  walkIntervalMs: number;
  windowMs: number;
  dyingDebounceMs: number;
  db: string;
  version: string;
  /** The node's name, shown by the page; null when unknown. */
  node?: string | null;
  log: (line: string) => void;
  /** `--kube`: the node's condition and taint; null without it. */
  kube?: KubeSink | null;
  /** `--reboot-sentinel PATH`: kured's file; null without it. */
  sentinel?: string | null;
  /** `--npd-status PATH`: node-problem-detector's status file; null without it. */
  npdStatus?: { file: string; problemAt: "warning" | "critical" } | null;
  /** `--trace`: name the dying memcgs from the cgroup tracepoints (root). */
  trace?: boolean;
  /** `--reap`: the reaper's context (src/serve/reap.ts); null without it. */
  reap?: ServeReapOptions | null;
  /** Host names the page and /api answer to besides IP literals and localhost. */
  allowedHosts?: string[];
}

export interface Daemon {
  address: AddressInfo;
  close(): Promise<void>;
}

const COMPACT_EVERY_MS = 3_600_000;

/** Opens the database, creating its directory; errors are the store collector's to log and retry. */
function opener(db: string): () => Store {
  return () => {
    if (db !== ":memory:") fs.mkdirSync(path.dirname(db), { recursive: true });
    // A short wait: a lock is retried next tick with the pending samples; the event loop must not stall.
    return openStore(db, { busyTimeoutMs: 50 });
  };
}

/** The parts the sampler needs, and what the daemon closes at the end. */
function sampling(o: DaemonOptions): { sampler: Sampler; collectors: Collectors; db: Persistence; walker: Walker } {
  const collectors = new Collectors(o.log);
  const db = new Persistence(opener(o.db), (fn, note) => collectors.run("store", fn, undefined, note));
  const walker = new Walker(o.host.root, o.scan);
  let logLines = 0;
  walker.onLogLines = (n) => void (logLines += n);
  const sampler = new Sampler({
    host: o.host,
    scan: o.scan,
    walkIntervalMs: o.walkIntervalMs,
    windowMs: o.windowMs,
    db,
    collectors,
    walk: (extra) => walker.walk(extra),
    dyingDebounceMs: o.dyingDebounceMs,
    logSignatureLines: () => logLines,
  });
  return { sampler, collectors, db, walker };
}

/**
 * `cgleak serve`'s composition: the sampler, the exporters it feeds (metrics, the API and page, the
 * database's compaction, node-problem-detector, the node object, kured, the tracer) and the HTTP
 * server; then the loop (src/serve/daemon.ts). Nothing here reads another part's state directly.
 */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const { sampler, collectors, db, walker } = sampling(o);
  const trace = o.trace === true ? startTrace(o, db, collectors) : null;
  const metrics = createMetrics(o.version, trace);
  const cleanup = async (): Promise<void> => {
    trace?.stop();
    db.close();
    await walker.close();
  };
  const first = await sampler.tick().catch(async (err: unknown) => {
    await cleanup();
    o.kube?.close();
    throw err;
  }); // the first scrape already has figures
  const reaper = o.reap
    ? (await import("../serve/reap.js")).startServeReaper(
        o.reap,
        metrics.registry,
        {
          get: () => collectors.run("store", () => db.store?.getState("reap")),
          put: (v) => void collectors.run("store", () => db.store?.putState("reap", v)),
        },
        o.log,
      )
    : null;
  const api = new LatestTick("api");
  const exporters = exportList(
    o,
    metrics,
    api,
    db,
    trace,
    reaper === null
      ? () => null
      : () => ({ dyingFreed: reaper.totals.dyingFreed, lastActedAt: reaper.totals.lastActed?.at ?? null }),
  );
  exporters.dispatch(first);
  const server = createServer(
    {
      latest: () => api.get(),
      store: () => db.store,
      intervalMs: o.intervalMs,
      walkIntervalMs: o.walkIntervalMs,
      now: Date.now,
      log: o.log,
      trace,
      node: o.node ?? null,
      allowedHosts: o.allowedHosts ?? [],
    },
    { render: () => metrics.render(), contentType: metrics.registry.contentType },
  );
  const address = await listen(server, o.listenHost, o.port).catch(async (err: unknown) => {
    await reaper?.stop();
    await cleanup();
    await exporters.close();
    throw err;
  });
  const loop = startLoop({ tick: () => sampler.tick(), exporters, intervalMs: o.intervalMs, log: o.log });
  return {
    address,
    async close() {
      await loop.stop();
      await reaper?.stop(); // a pass in flight restores its limit before the daemon goes
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      logged(o.log, "trace: stop failed", () => trace?.stop()); // the instance is the one thing left on the host
      await walker.close();
      await exporters.close();
      logged(o.log, `database ${o.db}: close failed`, () => db.close()); // flushes the WAL
      await closed;
    },
  };
}

type ReaperViewFn = () => { dyingFreed: number; lastActedAt: string | null } | null;

/** Every tick goes to these, in this order; a failure is counted in cgleak_exporter_errors_total. */
function exportList(
  o: DaemonOptions,
  metrics: Metrics,
  api: LatestTick,
  db: Persistence,
  trace: ServeTrace | null,
  reaper: ReaperViewFn,
): ExportList {
  const list: Exporter[] = [
    metrics,
    api,
    ...nodeExporters({ kube: o.kube ?? null, sentinel: o.sentinel ?? null, npdStatus: o.npdStatus ?? null, reaper }),
    ...(trace === null
      ? []
      : [
          { name: "trace", export: (t) => trace.afterTick(t.report?.memcg.dying ?? null, t.walked) } satisfies Exporter,
        ]),
    compaction(db),
  ];
  return new ExportList(list, { log: o.log, failed: metrics.exporterErrors(list.map((e) => e.name)) });
}

/** The database's hourly compaction (idempotent), on the tick that crosses the hour. */
function compaction(db: Persistence, startMs = Date.now()): Exporter {
  let last = startMs;
  return {
    name: "store",
    export(t) {
      if (t.atMs - last < COMPACT_EVERY_MS) return;
      last = t.atMs;
      db.compact(t.atMs);
    },
  };
}

function logged(log: (line: string) => void, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log(`${what}: ${(err as Error).message}`);
  }
}

/** The tracer, its stored set restored; throws TracefsUnavailable (not root, no tracefs). */
function startTrace(o: DaemonOptions, db: Persistence, collectors: Collectors): ServeTrace {
  const t = new ServeTrace({
    host: o.host,
    store: () => db.store,
    runStore: (fn) => void collectors.run("store", fn),
    bootId: readBootId(o.host),
    log: o.log,
    pods: o.kube ? new PodCache({ log: o.log }) : null,
  });
  try {
    t.start();
  } catch (err) {
    db.close();
    throw err;
  }
  return t;
}
