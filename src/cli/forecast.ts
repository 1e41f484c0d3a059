import type { Command } from "commander";
import type { Forecast } from "../analyze/forecast.js";
import { formatBytes, formatCount, formatDays, formatDuration, formatPerDay } from "../analyze/format.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import { durationArg } from "./options.js";
import type { Exit } from "./common.js";

/** store.ts's DEFAULT_DB_PATH, repeated so this file does not load better-sqlite3 for every command (store.real.test.ts checks they agree). */
export const DEFAULT_DB = "/var/lib/cgleak/cgleak.db";
const SIX_HOURS = 6 * 3_600_000;

interface Flags {
  db: string;
  json?: boolean;
  window: number;
}

export function register(program: Command, exit: Exit): void {
  program
    .command("forecast")
    .description(
      "how fast memory cgroups leak here and when the ID cap is reached, from the history cgleak serve stored",
    )
    .option("--db <path>", "the database cgleak serve writes", DEFAULT_DB)
    .option("--json", "print the forecast as JSON (schema: docs/store.md)")
    .option("--window <duration>", "how much recent history the rate is estimated from", durationArg, SIX_HOURS)
    .action(async (f: Flags) => {
      const { openStore, StoreError, NODE_STATE_KEY } = await import("../store/store.js");
      const { forecast } = await import("../analyze/forecast.js");
      let store;
      try {
        store = openStore(f.db, { readonly: true });
        const now = Date.now();
        const samples = store.range(now - f.window, now + 1);
        const state = store.getState(NODE_STATE_KEY);
        const holds = holdsIds(state);
        const last = store.latest();
        const fc = forecast(samples, { nowMs: now, windowMs: f.window, cap: MEMCG_ID_CAP, dyingHoldIds: holds.value });
        const doc = {
          schema: "cgleak.forecast/v1",
          db: f.db,
          lastSampleAt: last ? new Date(last.t).toISOString() : null,
          dyingHoldIds: holds,
          risk: riskOf(state),
          forecast: fc,
        };
        process.stdout.write(f.json ? JSON.stringify(doc, null, 2) + "\n" : render(doc, now));
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        process.stderr.write(`cgleak: ${err.message}\n`);
        exit(1);
      } finally {
        store?.close();
      }
    });
}

interface Holds {
  value: boolean | "unknown";
  /** Where the value came from, for a person. */
  from: string;
}

/** The daemon's "node" state, checked: a missing or odd value means "unknown", the cautious reading. */
function holdsIds(state: unknown): Holds {
  const s = state as { dyingHoldIds?: unknown; release?: unknown } | undefined;
  const v = s?.dyingHoldIds;
  if (v === true || v === false || v === "unknown")
    return {
      value: v,
      from: `cgleak serve's kernel model (${typeof s?.release === "string" ? s.release : "release not recorded"})`,
    };
  return { value: "unknown", from: "no node state stored by cgleak serve: dying memcgs counted as ID holders" };
}

interface Doc {
  db: string;
  lastSampleAt: string | null;
  dyingHoldIds: Holds;
  risk: StoredRisk;
  forecast: Forecast;
}

/** The assessment's risk as serve stored it at its last walk: at risk now is not a slope's question. */
interface StoredRisk {
  atRiskNow: boolean | "unknown";
  why: string;
  level: string | null;
  at: string | null;
}

function riskOf(state: unknown): StoredRisk {
  const s = state as { risk?: { atRiskNow?: unknown; why?: unknown }; level?: unknown; at?: unknown } | undefined;
  if (typeof s?.risk?.atRiskNow !== "boolean")
    return {
      atRiskNow: "unknown",
      why: "no assessment stored by cgleak serve (an older version, or no walk yet)",
      level: null,
      at: null,
    };
  return {
    atRiskNow: s.risk.atRiskNow,
    why: String(s.risk.why ?? ""),
    level: typeof s.level === "string" ? s.level : null,
    at: typeof s.at === "string" ? s.at : null,
  };
}

function render(d: Doc, now: number): string {
  const f = d.forecast;
  const age = d.lastSampleAt
    ? `last sample ${formatDuration((now - Date.parse(d.lastSampleAt)) / 1000)} ago`
    : "no samples yet: is cgleak serve running?";
  const range = f.window.firstSample ? `${f.window.firstSample} to ${f.window.lastSample}` : "none";
  const risk =
    d.risk.atRiskNow === true
      ? `YES: ${d.risk.why}`
      : d.risk.atRiskNow === false
        ? `no: ${d.risk.why}`
        : `unknown: ${d.risk.why}`;
  const lines = [
    `cgleak forecast from ${d.db}: window ${f.window.from} to ${f.window.to}; ${formatCount(f.window.samples)} samples in it (${range}), ${age}`,
    `  at risk now    ${risk}${d.risk.at ? ` (assessed ${d.risk.at}, status ${String(d.risk.level).toUpperCase()})` : ""}`,
    `  leaking        ${f.leaking ? "YES" : "no"}${f.ratePerSecond === null ? " (no rate: too few samples)" : `, ${formatPerDay(f.ratePerSecond)}/day (${formatPerDay(f.rateLow ?? 0)} to ${formatPerDay(f.rateHigh ?? 0)})`}`,
    f.leaking
      ? `  ID cap ${formatCount(MEMCG_ID_CAP)}  in ${formatDays(f.secondsToCap)} days (${formatDays(f.secondsToCapLow)} to ${formatDays(f.secondsToCapHigh)}), around ${f.capAt}`
      : `  ID cap ${formatCount(MEMCG_ID_CAP)}  ${d.risk.atRiskNow === true ? "no rising trend, but the node is at risk now (above)" : "not approaching at the current trend"}`,
    `  reset          ${f.window.resetAt ?? "none in the window"}`,
    `  dying hold IDs ${String(d.dyingHoldIds.value)} (${d.dyingHoldIds.from})`,
  ];
  if (f.dying && f.dying.ratePerSecond !== null) {
    lines.push(
      `  dying memcgs   ${formatPerDay(f.dying.ratePerSecond)}/day, ${formatBytes(Math.max(0, f.dying.bytesPerDay ?? 0))}/day of kernel memory and pinned cache`,
    );
  }
  lines.push(`  ${f.basis}`);
  return lines.join("\n") + "\n";
}
