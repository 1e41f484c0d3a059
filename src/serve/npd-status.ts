import * as fs from "node:fs";
import * as path from "node:path";
import type { Verdict } from "../kube/verdict.js";

/**
 * `serve --npd-status FILE`: node-problem-detector's custom plugins run inside NPD's container,
 * which has neither Node nor the host's /proc, so the verdict `cgleak check` would print is kept
 * in a file for a POSIX sh one-liner there (deploy/node-problem-detector/cgleak-plugin-monitor.json):
 *
 *   <exit code 0|1|2> <unix seconds when written>
 *   <status line, at most 80 bytes>
 *
 * The time is in the file rather than read from its mtime: `stat -c %Y` is not POSIX, `date +%s`
 * is in every shell image NPD ships with (GNU coreutils, busybox), and the writer's clock is the
 * reader's (the same node).
 */
export function npdStatusText(v: Verdict, nowMs: number): string {
  return `${v.code} ${Math.floor(nowMs / 1000)}\n${v.line}\n`;
}

/** Written by rename, so the reader never sees half a file. Errors are thrown for the caller to log. */
export function writeNpdStatus(file: string, v: Verdict, nowMs: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, npdStatusText(v, nowMs), { mode: 0o644 });
  fs.renameSync(tmp, file);
}
