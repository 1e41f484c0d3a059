import { parseDuration } from "../parsers/duration.js";
import { InvalidArgumentError } from "commander";

/** Parses a share of the ID cap: 0.7 or 70%. */
export function ratioArg(v: string): number {
  const pct = v.endsWith("%");
  const n = Number(pct ? v.slice(0, -1) : v);
  const r = pct ? n / 100 : n;
  if (!Number.isFinite(r) || r <= 0 || r > 1)
    throw new InvalidArgumentError(`expected a share of the cap between 0 and 1 (or 1% to 100%), got "${v}"`);
  return r;
}

export function countArg(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return Number(v);
}

/** Parses a duration such as 500ms, 30s, 10m, 24h, 7d into milliseconds. */
export function durationArg(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError(`expected a duration such as 30s, 10m, 24h or 7d, got "${v}"`);
  return ms;
}
