import * as fs from "node:fs";
import { lineTime } from "./time.js";

/** Bytes read per probe: enough to reach a dated line past a long stack trace or wrapped record. */
const PROBE = 64 * 1024;
/**
 * The window starts this much before `since`: lines a little out of order (several writers, a
 * clock step) are then still read, and the exact `since` is applied line by line as in a full read.
 */
export const WINDOW_SLACK_MS = 3_600_000;

/**
 * Where a first read of a big log may start so that it sees every line at or after `since`
 * (less the slack): a binary search over the file's dated lines, ~log2(size / 64 KiB) reads of
 * 64 KiB instead of the whole file. Logs are written in time order, so a line before a line older
 * than the window is older too, dated or not. Returns 0 when no dated line says otherwise
 * (a dmesg-only file is read whole, as before) and otherwise the start of a line.
 */
export function windowStart(fd: number, size: number, since: Date, now: Date): number {
  const limit = since.getTime() - WINDOW_SLACK_MS;
  const buf = Buffer.alloc(PROBE);
  let lo = 0; // the first dated line after lo is older than limit (or lo = 0)
  let hi = size;
  while (hi - lo > PROBE) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const t = firstTime(fd, buf, mid, now);
    if (t !== undefined && t.getTime() < limit) lo = mid;
    else hi = mid; // newer, or no date in reach: keep it in the window
  }
  return lo === 0 ? 0 : nextLineStart(fd, buf, lo);
}

/** The time of the first dated whole line after `at`, within one probe. */
function firstTime(fd: number, buf: Buffer, at: number, now: Date): Date | undefined {
  const n = fs.readSync(fd, buf, 0, PROBE, at);
  const lines = buf.subarray(0, n).toString("utf8").split("\n").slice(1, -1);
  for (const line of lines) {
    const t = lineTime(line, now);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** The offset just after the first newline at or after `at` (`at` itself if none is in reach). */
function nextLineStart(fd: number, buf: Buffer, at: number): number {
  const n = fs.readSync(fd, buf, 0, PROBE, at);
  const nl = buf.subarray(0, n).indexOf(10);
  return nl === -1 ? at : at + nl + 1;
}
