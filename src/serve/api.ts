import { parseDuration } from "../parsers/duration.js";
import type { Sample } from "../analyze/sample.js";
import type { Sampler } from "./sampler.js";

export interface ApiContext {
  sampler: Sampler;
  intervalMs: number;
  walkIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
  /** The node's name for the page's header and title (NODE_NAME, or the host's name); null when unknown. */
  node?: string | null;
  /** `serve --trace`; null or absent without it. */
  trace?: { doc(kernelDying: number | null): unknown } | null;
}

/** How old each figure is: the cheap count is one interval old at most, walk figures one walk interval. */
export function freshness(c: ApiContext): Record<string, unknown> {
  const s = c.sampler;
  const t = c.now();
  const age = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : (t - ms) / 1000);
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
  const s = c.sampler;
  return {
    schema: "cgleak.status/v1",
    node: c.node ?? null,
    report: s.report,
    sample: s.sample,
    forecast: s.forecast,
    freshness: freshness(c),
    collectors: Object.fromEntries(s.collectors),
  };
}

export function forecastDoc(c: ApiContext): unknown {
  return { schema: "cgleak.forecast/v1", forecast: c.sampler.forecast, freshness: freshness(c) };
}

/** Samples since `since`, from the database, or from memory when the database is unusable. */
export function history(c: ApiContext, sinceParam: string | null): unknown {
  const since = parseSince(sinceParam, c.now());
  let samples: Sample[] | null = null;
  let source = "database";
  const store = c.sampler.db.store;
  if (store !== null) {
    try {
      samples = store.range(since);
    } catch (err) {
      c.log(`history: database read failed, answering from memory: ${(err as Error).message}`);
    }
  }
  if (samples === null) {
    source = "memory (the forecast window only)";
    samples = c.sampler.samples.filter((x) => x.t >= since);
  }
  return { schema: "cgleak.history/v1", since: new Date(since).toISOString(), source, samples };
}

export class BadRequest extends Error {}

const DAY_MS = 86_400_000;

/** `since` as milliseconds since the epoch, an ISO time, or a duration back from now (90m, 24h, 7d). */
export function parseSince(v: string | null, nowMs: number): number {
  if (v === null || v === "") return nowMs - DAY_MS;
  const back = parseDuration(v);
  if (back !== undefined) return nowMs - back;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BadRequest(`since: expected milliseconds since the epoch, an ISO time or a duration such as 24h, got "${v}"`);
  return t;
}
