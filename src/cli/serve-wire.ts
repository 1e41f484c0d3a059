import type { AddressInfo } from "node:net";
import type * as http from "node:http";
import type { Host } from "../host/host.js";
import type { ScanOptions } from "../scan.js";
import type { KubeSink } from "../kube/sink.js";
import type { ReaperView } from "../kube/condition.js";
import type { Reaper } from "../actions/reap-loop.js";
import type { ServeReapOptions } from "../serve/reap.js";
import { reapSource, type ReapSource } from "../serve/reap-view.js";
import type { ServeTrace } from "../serve/trace.js";
import { PodCache } from "../kube/pod-cache.js";
import { podLookup } from "../serve/pin-owners.js";
import { createMetrics, type Metrics } from "../sinks/metrics.js";
import { Sampler } from "../serve/sampler.js";
import { Collectors } from "../serve/collectors.js";
import { Persistence } from "../serve/db.js";
import { ExportList, LatestTick } from "../serve/exporters.js";
import { startLoop, type Loop } from "../serve/daemon.js";
import { createServer, listen } from "../serve/http.js";
import { Walker } from "../serve/walker.js";
import { nodeExporters } from "../serve/node-sinks.js";
import { compactionExporter, opener } from "../serve/store-exporter.js";
import { startTrace, traceExporter } from "../serve/trace-exporter.js";

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
  /** `--pod-names` (with --kube): a pod cache of the daemon's own names the pins' pods; --trace has one already. */
  podNames?: boolean;
  /** `--reap`: the reaper's context (src/serve/reap.ts); null without it. */
  reap?: ServeReapOptions | null;
  /** `--reap-status FILE`: what a reaper in another process (the root writer container) wrote. */
  reapStatus?: string | null;
  /** Host names the page and /api answer to besides IP literals and localhost. */
  allowedHosts?: string[];
}

export interface Daemon {
  address: AddressInfo;
  close(): Promise<void>;
}

/** What serve runs: the sampler and its inputs, the tracer, the metrics; closed in reverse at the end. */
interface Parts {
  sampler: Sampler;
  collectors: Collectors;
  db: Persistence;
  walker: Walker;
  trace: ServeTrace | null;
  /** `--kube --pod-names` without `--trace`: a pod cache of the daemon's own, so the pins name their pods too. */
  pods: PodCache | null;
  metrics: Metrics;
}

function parts(o: DaemonOptions): Parts {
  const collectors = new Collectors(o.log);
  const db = new Persistence(opener(o.db), (fn, note) => collectors.run("store", fn, undefined, note));
  const walker = new Walker(o.host, o.scan);
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
  let trace: ServeTrace | null = null;
  try {
    if (o.trace === true) trace = startTrace({ host: o.host, log: o.log, kube: !!o.kube }, db, collectors);
  } catch (err) {
    db.close();
    throw err;
  }
  // Opt-in: listing pods needs an RBAC grant the base DaemonSet does not have (deploy/kubernetes/rbac.yaml).
  const pods = trace === null && o.kube && o.podNames === true ? new PodCache({ log: o.log }) : null;
  void pods?.start(); // never awaited: the daemon does not wait for the API server
  return { sampler, collectors, db, walker, trace, pods, metrics: createMetrics(o.version, trace) };
}

/**
 * `cgleak serve`'s composition (docs/CONVENTIONS.md, "serve's one-way flow"): the sampler, the
 * exporters its ticks go to, the HTTP server; then the loop (src/serve/daemon.ts). Each part gets
 * what it needs when it is made: nothing reads another's state, nothing waits for a name declared later.
 */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const p = parts(o);
  const first = await p.sampler.tick().catch(async (err: unknown) => {
    await closeParts(o, p);
    o.kube?.close();
    throw err;
  }); // the first scrape already has figures
  const reaper = o.reap ? await startReaper(o, o.reap, p) : null;
  const reap = reapSource(reaper, o.reap?.context.policy ?? null, o.reapStatus ?? null, p.metrics.registry, o.log);
  const api = new LatestTick("api");
  const exporters = exportList(o, p, api, () => reap.view());
  exporters.dispatch(first);
  const server = httpServer(o, p, api, reap);
  const address = await listen(server, o.listenHost, o.port).catch(async (err: unknown) => {
    await reaper?.stop();
    await closeParts(o, p, () => exporters.close());
    throw err;
  });
  const loop = startLoop({ tick: () => p.sampler.tick(), exporters, intervalMs: o.intervalMs, log: o.log });
  return { address, close: () => stop(o, p, { loop, reaper, server, exporters }) };
}

/** Every tick goes to these, in this order; a failure is counted in cgleak_exporter_errors_total. */
function exportList(o: DaemonOptions, p: Parts, api: LatestTick, reaper: () => ReaperView | null): ExportList {
  const list = [
    p.metrics,
    api,
    ...nodeExporters({ kube: o.kube ?? null, sentinel: o.sentinel ?? null, npdStatus: o.npdStatus ?? null, reaper }),
    ...(p.trace === null ? [] : [traceExporter(p.trace)]),
    compactionExporter(p.db),
  ];
  return new ExportList(list, { log: o.log, failed: p.metrics.exporterErrors(list.map((e) => e.name)) });
}

/** `--reap`: its own timer, its metrics on the daemon's registry, its passes in the store. */
async function startReaper(o: DaemonOptions, reap: ServeReapOptions, p: Parts): Promise<Reaper> {
  const { startServeReaper } = await import("../serve/reap.js");
  const store = {
    get: () => p.collectors.run("store", () => p.db.store?.getState("reap")),
    put: (v: unknown) => void p.collectors.run("store", () => p.db.store?.putState("reap", v)),
  };
  return startServeReaper(reap, p.metrics.registry, store, o.log);
}

function httpServer(o: DaemonOptions, p: Parts, api: LatestTick, reap: ReapSource): http.Server {
  const ctx = {
    latest: () => api.get(),
    store: () => p.db.store,
    intervalMs: o.intervalMs,
    walkIntervalMs: o.walkIntervalMs,
    now: Date.now,
    log: o.log,
    trace: p.trace,
    pods: p.pods === null ? null : podLookup(p.pods),
    node: o.node ?? null,
    allowedHosts: o.allowedHosts ?? [],
    reap: () => reap.doc(),
  };
  return createServer(ctx, { render: () => p.metrics.render(), contentType: p.metrics.registry.contentType });
}

/** The tracer's instance goes first (the one thing left behind on the host), the database last (its WAL). */
async function closeParts(o: DaemonOptions, p: Parts, beforeDb?: () => Promise<void>): Promise<void> {
  logged(o.log, "trace: stop failed", () => p.trace?.stop());
  p.pods?.stop();
  await p.walker.close();
  await beforeDb?.();
  logged(o.log, `database ${o.db}: close failed`, () => p.db.close());
}

interface Running {
  loop: Loop;
  reaper: Reaper | null;
  server: http.Server;
  exporters: ExportList;
}

async function stop(o: DaemonOptions, p: Parts, r: Running): Promise<void> {
  await r.loop.stop();
  await r.reaper?.stop(); // a pass in flight restores its limit before the daemon goes
  const closed = new Promise<void>((resolve) => r.server.close(() => resolve()));
  r.server.closeAllConnections();
  await closeParts(o, p, () => r.exporters.close()); // the node object's last wish is bounded (500 ms)
  await closed;
}

function logged(log: (line: string) => void, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log(`${what}: ${(err as Error).message}`);
  }
}
