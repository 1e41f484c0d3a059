import type { SimInput, SimResult } from "../analyze/simulate.js";
import type { DyingCost } from "../analyze/dying-cost.js";
import { formatBytes, formatCount, formatPercent, formatDuration } from "../analyze/format.js";

/** What the memory side of the simulation rests on: the cost of one dying memcg and the budget. */
export interface MemoryBasis {
  cost: DyingCost;
  pinnedBytes: number;
  memoryBytes: number;
  memoryFrom: string;
  share: number;
}

type Row = SimResult & { podsPerHour: number };

export function renderSimulation(input: SimInput, why: string, mem: MemoryBasis, r: SimResult, table: Row[]): string {
  const pin =
    input.pinnedHours === Infinity
      ? "forever (a kernel leak: only a reboot frees them)"
      : `for ${formatHours(input.pinnedHours)}`;
  const c = mem.cost;
  const lines = [
    `Node: ${formatCount(input.bootMemcgs)} memcgs at boot, ${input.runningPods} other pods running, ${input.memcgsPerPod} memcgs per pod, cap ${formatCount(input.idCap)} IDs`,
    `Churn: ${formatCount(input.podsPerHour)} pods/h; ${Math.round(input.leakShare * 1000) / 10} % of removed memcgs stay dying ${pin}`,
    `Dying memcgs ${input.dyingHoldIds ? "hold" : "do not hold"} an ID (${why})` + swapPart(input) + extras(input),
    `Each dying memcg holds ${formatBytes(input.bytesPerDying)}: ${formatBytes(c.bytesEach)} of kernel memory (${c.formula}; kernel ${c.series} fit, ${c.model}${c.caveats.length > 0 ? "; " + c.caveats.join("; ") : ""}) + ${formatBytes(mem.pinnedBytes)} pinned page cache`,
    `Memory budget: ${formatPercent(mem.share)} of ${formatBytes(mem.memoryBytes)} (${mem.memoryFrom}) = ${formatBytes(input.memoryBudgetBytes ?? 0)}`,
    "",
    verdict(input, mem, r),
    "",
    row("pods/h", "first failure", "after", "pods removed", "peak dying", "their memory"),
    ...table.map((t) =>
      row(
        formatCount(t.podsPerHour),
        failureName(t, mem),
        t.failsAtHours === undefined ? "-" : formatHours(t.failsAtHours),
        formatCount(t.pods),
        formatCount(t.peakDying),
        formatBytes(t.peakDyingBytes),
      ),
    ),
  ];
  return lines.join("\n") + "\n";
}

function failureName(r: SimResult, mem: MemoryBasis): string {
  if (r.failure === "id-cap") return "ID cap";
  if (r.failure === "memory") return `${formatPercent(mem.share)} of memory`;
  return "none";
}

/** Where dying memcgs free their ID, the swapped-out ones still hold it (73f576c04b94). */
function swapPart(input: SimInput): string {
  const share = input.swapShare ?? 0;
  if (share === 0) return "";
  const pct = `${Math.round(share * 1000) / 10} %`;
  if (input.dyingHoldIds) return `; the ${pct} swapped out change nothing: every dying memcg holds its ID`;
  return (
    `, except the ${pct} whose pages are swapped out: swap records pin their ID` +
    " until swapped back in or the tmpfs files are deleted"
  );
}

function extras(input: SimInput): string {
  const parts = [
    input.reclaimEveryHours === undefined ? "" : `reclaim every ${formatHours(input.reclaimEveryHours)}`,
    input.rebootEveryHours === undefined ? "" : `reboot every ${formatHours(input.rebootEveryHours)}`,
  ].filter((p) => p !== "");
  return parts.length === 0 ? "" : `; ${parts.join(", ")}`;
}

function verdict(input: SimInput, mem: MemoryBasis, r: SimResult): string {
  const held = `${formatCount(r.peakDying)} dying memcgs at most, holding about ${formatBytes(r.peakDyingBytes)} of kernel memory and pinned pages`;
  const at = `after ${formatCount(r.pods)} pods, ${formatHours(r.failsAtHours ?? 0)} at ${formatCount(input.podsPerHour)} pods/h`;
  if (r.failure === "id-cap") return `mkdir starts to fail ${at}; ${held}${swapHeld(input, r)}.`;
  if (r.failure === "memory") {
    const ids =
      input.dyingHoldIds || (input.swapShare ?? 0) > 0
        ? "the ID cap would come later"
        : "mkdir itself never fails on this kernel, where dying memcgs hold no ID";
    return `The dying memcgs hold ${formatPercent(mem.share)} of the node's memory (${formatBytes(input.memoryBudgetBytes ?? 0)}) ${at}: ${formatCount(r.peakDying)} dying memcgs x ${formatBytes(input.bytesPerDying)}; ${ids}.`;
  }
  return `Neither does mkdir fail nor do the dying memcgs reach ${formatPercent(mem.share)} of memory within ${formatHours(input.horizonHours)} (${formatCount(r.pods)} pods); ${held}.`;
}

function swapHeld(input: SimInput, r: SimResult): string {
  if (input.dyingHoldIds) return "";
  const live = input.bootMemcgs + input.runningPods * input.memcgsPerPod;
  return `; the swapped-out ones hold ${formatCount(r.peakIds - live)} IDs`;
}

function row(...cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padStart(7) : c.padStart(i === 2 ? 11 : 16))).join("");
}

export function formatHours(h: number): string {
  return formatDuration(h * 3600);
}
