import * as fs from "node:fs";
import { readKernelFile } from "../host/kernel-file.js";
import type { ReaperTotals } from "./reap-loop.js";
import type { ReapPolicy } from "./reap-policy.js";

/**
 * What the reaper running apart from the HTTP server (`cgleak reap --every --status-file`, the
 * deploy's root writer container) tells `serve --reap-status`: its policy and its totals, the
 * last passes included. The server only reads it, so the writer takes nothing from the network.
 */
export const REAP_STATUS_SCHEMA = "cgleak.reap-status/v1";

export interface ReapStatus {
  schema: typeof REAP_STATUS_SCHEMA;
  writtenAt: string;
  pid: number;
  dryRun: boolean;
  policy: ReapPolicy;
  totals: ReaperTotals;
}

/** At most this many unreclaimable pins are written: a node with thousands would bloat every read. */
const MAX_UNRECLAIMABLE = 100;
/** The file is a few KiB; anything past this is not ours. */
const MAX_BYTES = 1024 * 1024;

/** Written whole and renamed into place: a reader never sees half a file. Readable by the server's user. */
export function writeReapStatus(file: string, s: Omit<ReapStatus, "schema" | "writtenAt" | "pid">): void {
  const trim = (r: ReaperTotals["last"]): ReaperTotals["last"] =>
    r === null ? null : { ...r, unreclaimable: r.unreclaimable.slice(0, MAX_UNRECLAIMABLE) };
  const totals = { ...s.totals, last: trim(s.totals.last), lastActed: trim(s.totals.lastActed) };
  const doc: ReapStatus = {
    schema: REAP_STATUS_SCHEMA,
    writtenAt: new Date().toISOString(),
    pid: process.pid,
    ...s,
    totals,
  };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(doc) + "\n", { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** The writer's status; null when it has written none yet; a string says what is wrong with the file. */
export function readReapStatus(file: string): ReapStatus | null | string {
  let text: string;
  try {
    text = readKernelFile(file, MAX_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    return `${file}: ${(err as Error).message}`;
  }
  let v: Partial<ReapStatus>;
  try {
    v = JSON.parse(text) as Partial<ReapStatus>;
  } catch {
    return `${file}: not JSON`;
  }
  if (v?.schema !== REAP_STATUS_SCHEMA || typeof v.totals !== "object" || v.totals === null)
    return `${file}: not a ${REAP_STATUS_SCHEMA} document`;
  return v as ReapStatus;
}
