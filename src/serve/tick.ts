import type { ScanReport } from "../analyze/report.js";
import type { Sample } from "../analyze/sample.js";
import type { Forecast } from "../analyze/forecast.js";

export type CollectorName = "cheap" | "walk" | "store" | "forecast";

export interface CollectorStatus {
  success: boolean;
  seconds: number;
  error: string | null;
  atMs: number;
}

/**
 * What the sampler made of one interval, handed to every exporter (docs/CONVENTIONS.md, "serve's
 * one-way flow"). Frozen all the way down: an exporter cannot change what the next one sees, and
 * one that tries throws (counted in cgleak_exporter_errors_total) instead of corrupting the rest.
 * The assessment is the report's (`report.assessment`): one walk, one assessment.
 */
export interface Tick {
  /** 1, 2, 3...: the order the ticks were made, which is the order every exporter receives them. */
  readonly seq: number;
  /** When this tick's sample was taken (a walking tick: when its walk ended). */
  readonly atMs: number;
  /** Whether this tick walked (a walk that failed did not). */
  readonly walked: boolean;
  /** The last successful walk's report: this tick's when it walked, else an older one; null before any. */
  readonly report: ScanReport | null;
  readonly sample: Sample | null;
  readonly forecast: Forecast | null;
  /** The forecast window's samples, oldest first: /api/history's answer while the database is away. */
  readonly window: readonly Sample[];
  readonly lastWalkMs: number | null;
  /** Walks finished since start. */
  readonly walks: number;
  /** Log lines with the leak signature seen since start (cgleak_log_signature_lines_total). */
  readonly logSignatureLines: number;
  /** Each collector's last run, in the order they first ran. */
  readonly collectors: Readonly<Partial<Record<CollectorName, Readonly<CollectorStatus>>>>;
}

/** One step of serve's loop receives every tick, in order; a throw is counted and logged, never fatal. */
export interface Exporter {
  readonly name: string;
  export(tick: Tick): void | Promise<void>;
  /** At shutdown: let a last write finish (bounded), release what it holds. */
  close?(): void | Promise<void>;
}

/** Why the tick's walk failed, or null (a failed walk leaves the previous report in the tick). */
export function walkError(t: Tick): string | null {
  const w = t.collectors.walk;
  return w !== undefined && !w.success ? w.error : null;
}

/** Freezes `v` and everything it reaches; already frozen parts (the report a cheap tick reuses) are skipped. */
export function freezeDeep<T>(v: T): T {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  Object.freeze(v);
  // Arrays by index: Object.keys on the window's thousands of samples costs more than the freeze.
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) freezeDeep(v[i]);
  else for (const k of Object.keys(v)) freezeDeep((v as Record<string, unknown>)[k]);
  return v;
}

/** A tick with nothing known yet: what the API answers before the first, numbered `seq`. */
export function emptyTick(seq = 0, atMs = 0): Tick {
  return freezeDeep<Tick>({
    seq,
    atMs,
    walked: false,
    report: null,
    sample: null,
    forecast: null,
    window: [],
    lastWalkMs: null,
    walks: 0,
    logSignatureLines: 0,
    collectors: {},
  });
}
