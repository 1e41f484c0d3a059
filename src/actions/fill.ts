import * as fs from "node:fs";
import { constants } from "node:os";
import { MEMCG_COSTS } from "../knowledge/costs.js";

/** The filesystem calls fill makes; injectable so the errno path is tested without the cap. */
export interface FillFs {
  mkdir(path: string): void;
  rmdir(path: string): void;
}

const realFs: FillFs = { mkdir: (p) => fs.mkdirSync(p), rmdir: (p) => fs.rmdirSync(p) };

export interface FillResult {
  created: number;
  stoppedBy: "limit" | "errno";
  /** The mkdir that failed: errno name, number and the C library's text. */
  error?: { code: string; errno: number; text: string; path: string };
  removed: number;
  /** Directories that could not be removed (should be none). */
  leftover: string[];
  fillSeconds: number;
  rollbackSeconds: number;
}

/** strerror(3) texts for the errnos a memcg mkdir can end with (Node only gives libuv's). */
const STRERROR: Record<string, string> = {
  EBUSY: "Device or resource busy",
  ENOSPC: "No space left on device",
  ENOMEM: "Cannot allocate memory",
  EEXIST: "File exists",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
};

/** What filling to `count` more memcgs costs, measured: ~27 KB of MemAvailable each. */
export function fillCostBytes(count: number): number {
  return count * MEMCG_COSTS.liveBytes;
}

/**
 * The article's step 2: mkdir `parent/c1, c2, ...` until mkdir fails or `limit` is reached, then
 * remove them all at once. At the cap every memcg creator on the host fails - this machine's
 * control process too - so the rollback runs in the same synchronous loop, with no await in
 * between; signals are only handled after it.
 */
export function fill(
  parent: string,
  limit: number,
  onProgress?: (created: number) => void,
  io: FillFs = realFs,
): FillResult {
  const made: string[] = [];
  const t0 = process.hrtime.bigint();
  let error: FillResult["error"];
  while (made.length < limit) {
    const p = `${parent}/c${made.length + 1}`;
    try {
      io.mkdir(p);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? "EUNKNOWN";
      error = {
        code,
        errno: (constants.errno as Record<string, number>)[code] ?? -(e.errno ?? 0),
        text: STRERROR[code] ?? e.message,
        path: p,
      };
      break;
    }
    made.push(p);
    if (onProgress !== undefined && made.length % 1000 === 0) onProgress(made.length);
  }
  const t1 = process.hrtime.bigint();
  const leftover: string[] = [];
  for (let i = made.length - 1; i >= 0; i--) {
    try {
      io.rmdir(made[i] as string);
    } catch {
      leftover.push(made[i] as string);
    }
  }
  const t2 = process.hrtime.bigint();
  return {
    created: made.length,
    stoppedBy: error === undefined ? "limit" : "errno",
    ...(error === undefined ? {} : { error }),
    removed: made.length - leftover.length,
    leftover,
    fillSeconds: Number(t1 - t0) / 1e9,
    rollbackSeconds: Number(t2 - t1) / 1e9,
  };
}

/** True for the errnos that mean "memcg IDs exhausted": EBUSY (xarray, 6.x), ENOSPC (idr), ENOMEM (4.8 to 5.6). */
export function isIdExhaustion(code: string): boolean {
  return code === "EBUSY" || code === "ENOSPC" || code === "ENOMEM";
}
