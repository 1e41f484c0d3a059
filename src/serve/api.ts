import { parseDuration } from "../parsers/duration.js";
import type { Sample } from "../analyze/sample.js";
import type { Store } from "../store/store.js";
import { emptyTick, type Tick } from "./tick.js";
import { redactSecrets } from "../logs/redact.js";
import { namePins, type PodLookup } from "./pin-owners.js";
import type { ScanReport } from "../analyze/report.js";

export interface ApiContext {
  /** The newest tick the API's exporter was handed (src/serve/exporters.ts LatestTick); undefined before the first. */
  latest: () => Tick | undefined;
  /** The open database, or null while it is away (history then answers from the tick's window). */
  store: () => Store | null;
  intervalMs: number;
  walkIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
  /** The node's name for the page's header and title (NODE_NAME, or the host's name); null when unknown. */
  node?: string | null;
  /** `serve --trace`; null or absent without it. With --kube (or names it stored) it names the pins' pods. */
  trace?: ({ doc(kernelDying: number | null): unknown } & Partial<PodLookup>) | null;
  /** Host names the page and /api answer to besides IP literals and localhost (--allowed-host). */
  allowedHosts?: string[];
  /** A pod cache of its own (podLookup(new PodCache(...)) for --kube without --trace); else the tracer's. */
  pods?: PodLookup | null;
  /** /api/reap: the reaper's totals and last passes (src/serve/reap-view.ts); "not running" without one. */
  reap?: () => unknown;
}

/** /api/history answers at most this many points (default DEFAULT_POINTS), from at most MAX_WINDOW_MS back. */
export const MAX_POINTS = 4_000;
export const DEFAULT_POINTS = 1_000;
export const MAX_WINDOW_MS = 400 * 86_400_000;

/** Before the first tick: nothing known yet. */
const NO_TICK: Tick = emptyTick();

function tickOf(c: ApiContext): Tick {
  return c.latest() ?? NO_TICK;
}

/** How old each figure is: the cheap count is one interval old at most, walk figures one walk interval. */
export function freshness(c: ApiContext): Record<string, unknown> {
  const s = tickOf(c);
  const t = c.now();
  const age = (ms: number | null | undefined): number | null =>
    ms === null || ms === undefined ? null : (t - ms) / 1000;
  return {
    sampleTime: s.sample ? new Date(s.sample.t).toISOString() : null,
    sampleAgeSeconds: age(s.sample?.t),
    walkTime: s.lastWalkMs === null ? null : new Date(s.lastWalkMs).toISOString(),
    walkAgeSeconds: age(s.lastWalkMs),
    intervalSeconds: c.intervalMs / 1000,
    walkIntervalSeconds: c.walkIntervalMs / 1000,
  };
}

export function status(c: ApiContext): unknown {
  const s = tickOf(c);
  return {
    schema: "cgleak.status/v1",
    node: c.node ?? null,
    report: s.report === null ? null : named(c, redacted(s.report)),
    sample: s.sample,
    forecast: s.forecast,
    freshness: freshness(c),
    collectors: s.collectors,
  };
}

function redacted(r: ScanReport): ScanReport {
  return { ...r, kernel: { ...r.kernel, cmdline: r.kernel.cmdline === null ? null : redactSecrets(r.kernel.cmdline) } };
}

/** Pins under a pod get its name and owner where the tracer's pod cache (or its stored set) knows them. */
function named(c: ApiContext, r: ScanReport): ScanReport {
  if (c.pods) return namePins(r, c.pods);
  const t = c.trace;
  if (t?.podName === undefined || t.podNote === undefined) return r;
  return namePins(r, { podName: (uid) => t.podName!(uid), podNote: () => t.podNote!() });
}

export function forecastDoc(c: ApiContext): unknown {
  return { schema: "cgleak.forecast/v1", forecast: tickOf(c).forecast, freshness: freshness(c) };
}

/**
 * Samples since `since` as JSON text, from the database, or from memory when the database is
 * unusable: at most `points` of them (evenly spaced, the newest kept), from at most MAX_WINDOW_MS
 * back. Scrapes must not wait behind it: requests are served one at a time, the database is read
 * a day at a time with the event loop free in between, and what was read is shared by every
 * request until the next sample (48 clients cost one read, not 48).
 */
export function history(c: ApiContext, sinceParam: string | null, pointsParam: string | null = null): Promise<string> {
  const now = c.now();
  const since = Math.max(parseSince(sinceParam, now), now - MAX_WINDOW_MS);
  const points = parsePoints(pointsParam);
  const run = queue.then(() => answer(c, since, points));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();
let read: { key: string; api: ApiContext; source: string; samples: Promise<Sample[]> } | undefined;
const answers = new Map<string, string>();

async function answer(c: ApiContext, since: number, points: number): Promise<string> {
  const tick = tickOf(c);
  const key = `${tick.seq}:${Math.floor(since / c.intervalMs)}`;
  if (read?.key !== key || read.api !== c) {
    answers.clear();
    const r = readSamples(c, tick, since);
    read = { key, api: c, source: r.source, samples: r.samples };
  }
  const cached = answers.get(`${key}:${points}`);
  if (cached !== undefined) return cached;
  const samples = await read.samples;
  await yieldToScrapes();
  const body =
    JSON.stringify({
      schema: "cgleak.history/v1",
      since: new Date(since).toISOString(),
      source: read.source,
      points: Math.min(samples.length, points),
      of: samples.length,
      samples: thin(samples, points),
    }) + "\n";
  if (answers.size >= 16) answers.clear();
  answers.set(`${key}:${points}`, body);
  return body;
}

const DAY_MS = 86_400_000;

function readSamples(c: ApiContext, tick: Tick, since: number): { source: string; samples: Promise<Sample[]> } {
  const store = c.store();
  const memory = (): Sample[] => tick.window.filter((x) => x.t >= since);
  if (store === null) return { source: "memory (the forecast window only)", samples: Promise.resolve(memory()) };
  const inDays = async (): Promise<Sample[]> => {
    const out: Sample[] = [];
    try {
      for (let t = since, end = c.now() + DAY_MS; t < end; t += DAY_MS) {
        out.push(...store.range(t, t + DAY_MS));
        await yieldToScrapes();
      }
      return out;
    } catch (err) {
      c.log(`history: database read failed, answering from memory: ${(err as Error).message}`);
      return memory();
    }
  };
  return { source: "database", samples: inDays() };
}

/** Lets pending I/O (a scrape) run before the next slice of history work. */
function yieldToScrapes(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** At most n samples, evenly spaced over the list; the last (newest) always kept. */
export function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  const step = (xs.length - 1) / (n - 1);
  for (let i = 0; i < n; i++) out.push(xs[Math.round(i * step)] as T);
  return out;
}

function parsePoints(v: string | null): number {
  if (v === null || v === "") return DEFAULT_POINTS;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 2 || Number(v) > MAX_POINTS)
    throw new BadRequest(`points: expected a whole number from 2 to ${MAX_POINTS}, got "${v.slice(0, 40)}"`);
  return Number(v);
}

export class BadRequest extends Error {}

/** `since` as milliseconds since the epoch, an ISO time, or a duration back from now (90m, 24h, 7d). */
export function parseSince(v: string | null, nowMs: number): number {
  if (v === null || v === "") return nowMs - DAY_MS;
  const back = /^\d{1,9}(?:\.\d{1,6})?\s*[a-z]{1,2}$/.test(v.trim()) ? parseDuration(v) : undefined;
  if (back !== undefined) return nowMs - back;
  if (/^\d{1,16}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new BadRequest(
      `since: expected milliseconds since the epoch, an ISO time or a duration such as 24h, got "${v.slice(0, 40)}"`,
    );
  return t;
}
