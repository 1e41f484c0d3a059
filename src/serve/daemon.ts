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
import type { KubeSink } from "../kube/sink.js";
import { createNodeSinks } from "./node-sinks.js";
import type { ReaperView } from "../kube/condition.js";
import { ServeTrace } from "./trace.js";
import { readBootId } from "./cheap.js";
import { PodCache } from "../kube/pod-cache.js";
import type { ServeReapOptions } from "./reap.js";
import { reapSource } from "./reap-view.js";

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
  /** `--reap-status FILE`: what a reaper in another process (the root writer container) wrote. */
  reapStatus?: string | null;
}

export interface Daemon { address: AddressInfo; sampler: Sampler; trace: ServeTrace | null; close(): Promise<void> }

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
  walker.onLogLines = (n) => { sampler.logSignatureLines += n; };
  // The reaper starts after the sampler; the condition reads what it freed once it runs.
  let reaperView: (() => ReaperView | null) | null = null;
  const sinks = createNodeSinks({ kube: o.kube ?? null, sentinel: o.sentinel ?? null, npdStatus: o.npdStatus ?? null, reaper: () => reaperView?.() ?? null, log: o.log });
  const sampler: Sampler = new Sampler({
    host: o.host, scan: o.scan, walkIntervalMs: o.walkIntervalMs, windowMs: o.windowMs, openStore: opener(o.db), log: o.log, walk: (extra) => walker.walk(extra), dyingDebounceMs: o.dyingDebounceMs,
    onTick: (walked) => {
      const walk = sampler.collectors.get("walk");
      sinks.afterTick(sampler.report, sampler.forecast, walked, walk && !walk.success ? walk.error : null);
      trace?.afterTick(sampler.report?.memcg.dying ?? null, walked);
    },
  });
  let trace: ServeTrace | null = null;
  const cleanup = async (): Promise<void> => {
    trace?.stop();
    sampler.db.close();
    await walker.close();
    await sinks.close();
  };
  if (o.trace === true) {
    trace = startTrace(o, sampler, (s) => metrics.observeDyingLifetime(s));
    sampler.trace = trace;
  }
  const metrics = createMetrics(sampler, o.version);
  try {
    await sampler.tick(); // the first scrape already has figures
  } catch (err) {
    await cleanup();
    throw err;
  }
  const reaper = o.reap ? (await import("./reap.js")).startServeReaper(o.reap, metrics.registry, {
    get: () => sampler.run("store", () => sampler.db.store?.getState("reap")),
    put: (v) => void sampler.run("store", () => sampler.db.store?.putState("reap", v)),
  }, o.log) : null;
  const reap = reapSource(reaper, o.reap?.context.policy ?? null, o.reapStatus ?? null, metrics.registry, o.log);
  reaperView = () => reap.view();
  const renderer = { render: () => metrics.render(), contentType: metrics.registry.contentType };
  const server = createServer({ sampler, intervalMs: o.intervalMs, walkIntervalMs: o.walkIntervalMs, now: Date.now, log: o.log, trace, node: o.node ?? null, allowedHosts: o.allowedHosts ?? [], reap: () => reap.doc() }, renderer);
  const address = await listen(server, o.listenHost, o.port).catch(async (err: unknown) => {
    await cleanup();
    throw err;
  });
  const tick = setInterval(() => void sampler.tick(), o.intervalMs);
  const compact = setInterval(() => sampler.db.compact(Date.now()), COMPACT_EVERY_MS);
  compact.unref();
  return {
    address,
    sampler,
    trace,
    async close() {
      clearInterval(tick);
      clearInterval(compact);
      await reaper?.stop(); // a pass in flight restores its limit before the daemon goes
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      try {
        trace?.stop(); // the instance goes first: it is the one thing left behind on the host
      } catch (err) {
        o.log(`trace: stop failed: ${(err as Error).message}`);
      }
      await walker.close();
      await sinks.close();
      try {
        sampler.db.close(); // flushes the WAL
      } catch (err) {
        o.log(`database ${o.db}: close failed: ${(err as Error).message}`);
      }
      await closed;
    },
  };
}

/** The tracer, its stored set restored; throws TracefsUnavailable (not root, no tracefs). */
function startTrace(o: DaemonOptions, sampler: Sampler, onReleased: (seconds: number) => void): ServeTrace {
  const t = new ServeTrace({
    host: o.host, store: () => sampler.db.store, runStore: (fn) => void sampler.run("store", fn),
    bootId: readBootId(o.host), log: o.log, onReleased,
    pods: o.kube ? new PodCache({ log: o.log }) : null,
  });
  try {
    t.start();
  } catch (err) {
    sampler.db.close();
    throw err;
  }
  return t;
}
