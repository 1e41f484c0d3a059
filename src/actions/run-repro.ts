import * as fs from "node:fs";
import * as os from "node:os";
import type { Host } from "../host/host.js";
import { collectNode } from "../collect/node.js";
import { walkCgroupDirs } from "../host/walk.js";
import { formatBytes, formatCount } from "../analyze/format.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";
import { Scratch } from "./scratch.js";
import { refuseOnWorkingNode } from "./guard.js";
import { reproKmemFork, type KmemForkReport } from "./repro.js";
import { reproPin, RELEASE_ACTIONS, type PinReport, type ReleaseName } from "./repro-pin.js";
import { reproSwapIds, noSwapReason, type SwapIdsReport } from "./repro-swap-ids.js";
import { fill, fillCostBytes, isIdExhaustion, type FillResult } from "./fill.js";

export interface ReproOptions {
  mode: "kmem-fork" | "page-cache" | "shmem" | "fill" | "swap-ids";
  n?: number;
  bytes?: number;
  actions?: string[];
  limit?: number;
  blockNode: boolean;
  yes: boolean;
  /** Where notes before and during the run go (stderr in the CLI). */
  say: (line: string) => void;
}

export type FillReport = FillResult & { mode: "fill"; idExhausted: boolean; liveBefore: number };
export interface ReproReport {
  scratch: string;
  result: KmemForkReport | PinReport | FillReport | SwapIdsReport;
  cleanupProblems: string[];
}

/** Checks, makes the scratch tree, runs the mode, and always removes what it made. */
export async function runRepro(host: Host, o: ReproOptions): Promise<ReproReport | { refused: string }> {
  const refused = preflight(host, o);
  if (refused !== undefined) return { refused };
  const node = collectNode(host);
  if (node.memory === null) return { refused: "no cgroup hierarchy has the memory controller" };
  const s = new Scratch(host, node.memory);
  let result: ReproReport["result"];
  try {
    result = await runMode(s, o);
  } catch (err) {
    const problems = s.cleanup();
    if (problems.length > 0) (err as Error).message += `; cleanup problems: ${problems.join("; ")}`;
    throw err;
  }
  return { scratch: `${node.memory.mountPoint}/${s.name}`, result, cleanupProblems: s.cleanup() };
}

function preflight(host: Host, o: ReproOptions): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to create memory cgroups";
  if (o.mode === "fill" && !o.blockNode) {
    return "fill makes every memcg mkdir on this host fail until it rolls back; pass --i-understand-this-blocks-the-node (and --limit N to stop early)";
  }
  if (o.mode === "swap-ids") {
    const noSwap = noSwapReason(host.readTextIfExists("/proc/swaps"));
    if (noSwap !== undefined) return noSwap;
  }
  const memTmp = o.mode === "page-cache" ? memoryBackedTmp() : undefined;
  if (memTmp !== undefined)
    return `page-cache needs its files on a disk filesystem, but ${memTmp} is in memory (tmpfs/ramfs: they would pin as shmem); set TMPDIR to a directory on disk`;
  const bad = o.actions?.filter((a) => !(RELEASE_ACTIONS as readonly string[]).includes(a)) ?? [];
  if (bad.length > 0) return `unknown release action ${bad.join(", ")}; known: ${RELEASE_ACTIONS.join(", ")}`;
  return refuseOnWorkingNode(host, o.yes, `run repro --mode ${o.mode}`);
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** The temp dir when it is memory-backed: a tmpfs /tmp (many distros), an initramfs root (the v2 lab). */
function memoryBackedTmp(): string | undefined {
  const dir = os.tmpdir();
  try {
    const type = fs.statfsSync(dir).type;
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC ? dir : undefined;
  } catch {
    return undefined; // Scratch reports a missing temp dir when it makes its own
  }
}

async function runMode(s: Scratch, o: ReproOptions): Promise<ReproReport["result"]> {
  switch (o.mode) {
    case "kmem-fork":
      return reproKmemFork(s, o.n ?? 100);
    case "page-cache":
    case "shmem":
      return reproPin(
        s,
        o.mode,
        o.n ?? 50,
        (o.actions as ReleaseName[] | undefined) ?? RELEASE_ACTIONS,
        o.bytes ?? 65536,
      );
    case "fill":
      return runFill(s, o);
    case "swap-ids":
      return reproSwapIds(s, o.n ?? 20, o.bytes ?? 65536, o.blockNode);
  }
}

function runFill(s: Scratch, o: ReproOptions): FillReport {
  const liveBefore = walkCgroupDirs(s.host.path(s.h.mountPoint), () => {}).dirs;
  const room = Math.max(0, MEMCG_ID_CAP - liveBefore);
  const planned = Math.min(o.limit ?? Infinity, room + 10); // +10: mkdir must fail, not stop short
  o.say(
    `fill: up to ${formatCount(Math.min(planned, room))} memcgs (${formatCount(liveBefore)} live now, cap ${formatCount(MEMCG_ID_CAP)}), about ${formatBytes(fillCostBytes(Math.min(planned, room)))} of memory (~27 KB each, measured); removed at once when mkdir fails`,
  );
  const parent = s.mkdir("fill");
  // on v2 the children of a cgroup are memcgs only where it turns memory on for them
  s.enableChildren(parent);
  const r = fill(parent, planned, (n) => o.say(`fill: ${formatCount(n)} created`));
  return { mode: "fill", ...r, idExhausted: r.error !== undefined && isIdExhaustion(r.error.code), liveBefore };
}
