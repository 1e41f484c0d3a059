import * as fs from "node:fs";
import { DEFAULT_POLICY, REAP_METHODS, type ReapMethod, type ReapPolicy } from "./reap-policy.js";
import { parseDuration } from "../parsers/duration.js";

/**
 * The policy as a file (a ConfigMap key in Kubernetes): JSON, every key optional, sizes as
 * "512M"/"1G" or bytes, durations as "60s"/"10m" or milliseconds:
 *   {"targetDying": 1000, "targetPinned": "256M", "targetIdShare": 0.5, "budget": "512M", "step": "32M",
 *    "interval": "60s", "maxInterval": "16m", "psiMemory": 10, "psiIo": 30, "method": "auto", "timeout": "10s"}
 * A mistake is one line naming the file and the key.
 */
export function readPolicyFile(file: string, base: ReapPolicy = DEFAULT_POLICY): ReapPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(
      `${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not JSON (${(err as Error).message.split("\n")[0]})`}`,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`${file}: expected a JSON object of policy keys`);
  const p: ReapPolicy = { ...base };
  for (const [key, v] of Object.entries(raw)) {
    const set = SETTERS[key];
    if (set === undefined) throw new Error(`${file}: unknown key "${key}" (known: ${Object.keys(SETTERS).join(", ")})`);
    const why = set(p, v);
    if (why !== null) throw new Error(`${file}: "${key}": ${why}`);
  }
  return p;
}

type Setter = (p: ReapPolicy, v: unknown) => string | null;

const SIZE: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function size(v: unknown): number | null {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  const m = typeof v === "string" ? /^(\d+)([KMGT]?)i?B?$/i.exec(v.trim()) : null;
  return m ? Number(m[1]) * (SIZE[(m[2] ?? "").toUpperCase()] as number) : null;
}

function duration(v: unknown): number | null {
  if (typeof v === "number" && v > 0) return v;
  return typeof v === "string" ? (parseDuration(v) ?? null) : null;
}

const bytes =
  (k: "targetPinnedBytes" | "budgetBytes" | "stepBytes"): Setter =>
  (p, v) => {
    const n = size(v);
    if (n === null) return `expected a size such as "512M" or a number of bytes, got ${JSON.stringify(v)}`;
    p[k] = n;
    return null;
  };
const ms =
  (k: "intervalMs" | "maxIntervalMs" | "writeTimeoutMs"): Setter =>
  (p, v) => {
    const n = duration(v);
    if (n === null) return `expected a duration such as "60s" or milliseconds, got ${JSON.stringify(v)}`;
    p[k] = n;
    return null;
  };
const num =
  (k: "targetDying" | "targetIdShare" | "psiMemory" | "psiIo", max: number): Setter =>
  (p, v) => {
    if (typeof v !== "number" || v < 0 || v > max)
      return `expected a number from 0 to ${max}, got ${JSON.stringify(v)}`;
    p[k] = v;
    return null;
  };

const SETTERS: Record<string, Setter> = {
  targetDying: num("targetDying", Number.MAX_SAFE_INTEGER),
  targetPinned: bytes("targetPinnedBytes"),
  targetIdShare: num("targetIdShare", 1),
  budget: bytes("budgetBytes"),
  step: bytes("stepBytes"),
  interval: ms("intervalMs"),
  maxInterval: ms("maxIntervalMs"),
  psiMemory: num("psiMemory", 100),
  psiIo: num("psiIo", 100),
  timeout: ms("writeTimeoutMs"),
  method: (p, v) => {
    if (!(REAP_METHODS as readonly unknown[]).includes(v))
      return `expected one of ${REAP_METHODS.join(", ")}, got ${JSON.stringify(v)}`;
    p.method = v as ReapMethod;
    return null;
  },
};
