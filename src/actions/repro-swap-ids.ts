import * as fs from "node:fs";
import type { Scratch } from "./scratch.js";
import { settledDying, yieldToSignals } from "./dying.js";
import { runInside } from "./repro.js";
import { rmdirRetry } from "./rmdir.js";
import { writeKnob } from "./knob.js";
import { fill, isIdExhaustion, type FillResult } from "./fill.js";
import { walkCgroupDirs } from "../host/walk.js";
import { boundSwapPinnedIds } from "../collect/swap-ids.js";
import { MEMCG_ID_CAP } from "../analyze/ids.js";

export interface SwapIdsReport {
  mode: "swap-ids";
  n: number;
  bytesPerMemcg: number;
  /** The knob that pushed the tmpfs pages to swap. */
  reclaimedWith: string;
  /** The scratch parent's memory.swap.current once its children were reclaimed (v2). */
  swapChargedBytes: number | null;
  /** Dying memcgs below the scratch parent after the rmdirs, once freeing settled. */
  dyingAfterRmdir: number;
  /** What scan's collector bounds swap-pinned dying memcgs by, node-wide, at that moment. */
  boundPinnedHigh: number | null;
  /** With --i-understand-this-blocks-the-node: the ID space filled to measure the pinned IDs. */
  fill:
    | (FillResult & {
        liveBefore: number;
        headroomExpectedWithoutPins: number;
        pinnedIds: number;
        idExhausted: boolean;
      })
    | null;
  /** Dying memcgs left below the parent after the tmpfs files were deleted (swap entries freed). */
  dyingAfterDelete: number;
  /** The parent's memory.swap.current then: the swap entries, and so the ID pins, are gone at 0. */
  swapAfterDeleteBytes: number | null;
  sentence: string;
}

/**
 * The seed's failure by today's route: N memcgs each write a tmpfs file from inside, the scratch
 * parent is reclaimed so the shmem pages go to swap, the memcgs are removed. Swap entries hold a
 * reference on the memcg ID (73f576c04b94), so they stay dying with their ID. Deleting the files
 * frees the swap entries and with them the IDs.
 */
export async function reproSwapIds(s: Scratch, n: number, bytes: number, fillIds: boolean): Promise<SwapIdsReport> {
  const tmpfs = s.mountTmpfs("swap-ids", `${Math.max(16, Math.ceil((n * bytes) / 2 ** 20) * 2)}m`);
  const rel = `${s.rel}/swap-ids`;
  const parent = s.mkdir("swap-ids");
  s.enableChildren(parent);
  for (let i = 1; i <= n; i++) {
    fs.mkdirSync(`${parent}/c${i}`);
    runInside(`${parent}/c${i}`, `head -c ${bytes} /dev/zero > "$2"`, `${tmpfs}/f${i}`);
    await yieldToSignals();
  }
  const reclaimedWith = pushToSwap(s, parent, n);
  const swapChargedBytes = readNumber(`${parent}/memory.swap.current`);
  for (let i = 1; i <= n; i++) rmdirRetry(`${parent}/c${i}`);
  const countRel = s.h.version === 2 ? rel : "";
  const dyingAfterRmdir = await settledDying(s.host, s.h, countRel);
  const boundPinnedHigh = boundSwapPinnedIds(s.host, s.h)?.pinnedHigh ?? null;
  const filled = fillIds ? fillToCap(s) : null;
  for (let i = 1; i <= n; i++) fs.rmSync(`${tmpfs}/f${i}`, { force: true });
  const dyingAfterDelete = await settledDying(s.host, s.h, countRel);
  const swapAfterDeleteBytes = readNumber(`${parent}/memory.swap.current`);
  return {
    mode: "swap-ids",
    n,
    bytesPerMemcg: bytes,
    reclaimedWith,
    swapChargedBytes,
    dyingAfterRmdir,
    boundPinnedHigh,
    fill: filled,
    dyingAfterDelete,
    swapAfterDeleteBytes,
    sentence:
      filled !== null
        ? `${filled.pinnedIds} memcg IDs were held by ${dyingAfterRmdir} dying memcgs whose tmpfs pages are in swap; deleting the files left ${dyingAfterDelete} dying`
        : `${dyingAfterRmdir} of ${n} memcgs stayed dying with their tmpfs pages in swap (each holds an ID while a swap entry points at it); deleting the files left ${dyingAfterDelete}`,
  };
}

/**
 * v2: memory.reclaim (5.19+) on the parent, else memory.high lowered to 0 and restored, which
 * reclaims synchronously. v1: memory.force_empty on each child. All may report EAGAIN when swap
 * cannot take everything: the swap charge read next says what went.
 */
function pushToSwap(s: Scratch, parent: string, n: number): string {
  if (s.h.version === 1) {
    for (let i = 1; i <= n; i++) writeKnob(`${parent}/c${i}/memory.force_empty`, "0");
    return "memory.force_empty on each memcg";
  }
  if (fs.existsSync(`${parent}/memory.reclaim`)) {
    const held = readNumber(`${parent}/memory.current`) ?? 0;
    const note = writeKnob(`${parent}/memory.reclaim`, String(Math.max(4096, held)));
    return `memory.reclaim ${held}${note ? ` (${note})` : ""}`;
  }
  const note = writeKnob(`${parent}/memory.high`, "0");
  fs.writeFileSync(`${parent}/memory.high`, "max");
  return `memory.high 0 then max${note ? ` (${note})` : ""}`;
}

function fillToCap(s: Scratch): NonNullable<SwapIdsReport["fill"]> {
  const liveBefore = walkCgroupDirs(s.host.path(s.h.mountPoint), () => {}).dirs;
  const parent = s.mkdir("fill");
  s.enableChildren(parent);
  const headroomExpectedWithoutPins = MEMCG_ID_CAP - liveBefore - 1; // the fill parent is live too
  const r = fill(parent, headroomExpectedWithoutPins + 10);
  return {
    ...r,
    liveBefore,
    headroomExpectedWithoutPins,
    pinnedIds: headroomExpectedWithoutPins - r.created,
    idExhausted: r.error !== undefined && isIdExhaustion(r.error.code),
  };
}

function readNumber(file: string): number | null {
  try {
    return Number(fs.readFileSync(file, "utf8").trim());
  } catch {
    return null;
  }
}

/** Why swap-ids cannot run here, from /proc/swaps (header line only: no swap). */
export function noSwapReason(swaps: string | undefined): string | undefined {
  if (swaps === undefined) return "swap-ids needs swap, and /proc/swaps cannot be read";
  const active = swaps
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "");
  return active.length === 0
    ? "swap-ids needs swap: /proc/swaps lists none on this host (without swap no dying memcg keeps its ID; swapon a device or file first)"
    : undefined;
}
