import * as os from "node:os";
import { InvalidArgumentError, Option, type Command } from "commander";
import { simulate, churnTable, SIM_DEFAULTS, CHURN_RATES, type SimInput, type SimResult } from "../analyze/simulate.js";
import { formatBytes, formatCount } from "../analyze/format.js";
import { MEMCG_COSTS } from "../knowledge/costs.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { countArg, durationArg } from "./options.js";

const HOUR_MS = 3_600_000;

interface Flags {
  podsPerHour: number; memcgsPerPod: number; bootMemcgs: number; runningPods: number;
  leak: number; pinnedFor: number; pinnedBytes: number; horizon: number; rates: number[];
  kernel?: string; dyingHoldIds?: boolean; reclaimEvery?: number; rebootEvery?: number; json?: boolean;
}

export function register(program: Command): void {
  program.command("simulate")
    .description("when will mkdir of a memory cgroup start to fail on a node with this pod churn?")
    .option("--pods-per-hour <n>", "pods created and removed per hour", positiveArg, 100)
    .option("--memcgs-per-pod <n>", "memory cgroups per pod: the pod's plus one per container", countArg, SIM_DEFAULTS.memcgsPerPod)
    .option("--boot-memcgs <n>", "memory cgroups present at boot, the root included", countArg, SIM_DEFAULTS.bootMemcgs)
    .option("--running-pods <n>", "pods alive at any time besides the one being created", countArg, SIM_DEFAULTS.runningPods)
    .option("--leak <share>", "share of removed memcgs that stay dying: 0.3 or 30%", shareArg, SIM_DEFAULTS.leakShare)
    .addOption(new Option("--pinned-for <duration>", "how long they stay dying; 'forever' is a kernel leak that only a reboot frees").argParser(pinnedArg).default(Infinity, "forever"))
    .option("--pinned-bytes <n>", "page cache each dying memcg pins, in bytes", countArg, 4096)
    .option("--kernel <release>", "take 'do dying memcgs hold their ID' from the kernel model for this release (default: this host's)")
    .option("--dying-hold-ids <yes|no>", "say it outright instead of --kernel", yesNoArg)
    .option("--reclaim-every <duration>", "reclaim (drop caches) this often: frees pinned, not kernel-leaked, memcgs", hoursArg)
    .option("--reboot-every <duration>", "reboot this often", hoursArg)
    .addOption(new Option("--horizon <duration>", "how far ahead to look").argParser(hoursArg).default(SIM_DEFAULTS.horizonHours, `${SIM_DEFAULTS.horizonHours / 24}d`))
    .addOption(new Option("--rates <list>", "churn rates for the table, pods per hour").argParser(listArg).default(CHURN_RATES, CHURN_RATES.join(",")))
    .option("--json", "print the input, the result and the table as JSON")
    .action((f: Flags) => {
      const holds = dyingHoldIds(f);
      const input: SimInput = {
        ...SIM_DEFAULTS, podsPerHour: f.podsPerHour, memcgsPerPod: f.memcgsPerPod, bootMemcgs: f.bootMemcgs,
        runningPods: f.runningPods, leakShare: f.leak, pinnedHours: f.pinnedFor, dyingHoldIds: holds.value,
        horizonHours: f.horizon, bytesPerDying: MEMCG_COSTS.dyingKernelBytes + f.pinnedBytes,
        ...(f.reclaimEvery === undefined ? {} : { reclaimEveryHours: f.reclaimEvery }),
        ...(f.rebootEvery === undefined ? {} : { rebootEveryHours: f.rebootEvery }),
      };
      const result = simulate(input);
      const table = churnTable(input, f.rates);
      if (f.json) {
        process.stdout.write(JSON.stringify({ input: jsonSafe(input), dyingHoldIdsFrom: holds.why, result, table }, null, 2) + "\n");
        return;
      }
      process.stdout.write(renderSimulation(input, holds.why, result, table));
    });
}

/** Infinity is not JSON: a forever pin or no reboot shows as null. */
function jsonSafe(input: SimInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v === Infinity ? null : v]));
}

function dyingHoldIds(f: Flags): { value: boolean; why: string } {
  if (f.dyingHoldIds !== undefined) return { value: f.dyingHoldIds, why: "--dying-hold-ids" };
  const release = f.kernel ?? os.release();
  const v = kernelModel(release).dyingHoldIds.value;
  // An unplaceable kernel is planned for the worst case: the article's.
  if (v === "unknown") return { value: true, why: `kernel ${release} is unknown to the model: assuming they do (worst case)` };
  return { value: v, why: `kernel model for ${release}${f.kernel === undefined ? " (this host)" : ""}` };
}

export function renderSimulation(input: SimInput, why: string, r: SimResult, table: Array<SimResult & { podsPerHour: number }>): string {
  const pin = input.pinnedHours === Infinity ? "forever (a kernel leak: only a reboot frees them)" : `for ${formatHours(input.pinnedHours)}`;
  const lines = [
    `Node: ${formatCount(input.bootMemcgs)} memcgs at boot, ${input.runningPods} other pods running, ${input.memcgsPerPod} memcgs per pod, cap ${formatCount(input.idCap)} IDs`,
    `Churn: ${formatCount(input.podsPerHour)} pods/h; ${Math.round(input.leakShare * 1000) / 10} % of removed memcgs stay dying ${pin}`,
    `Dying memcgs ${input.dyingHoldIds ? "hold" : "do not hold"} an ID (${why})` + extras(input),
    "",
    verdict(input, r),
    "",
    row("pods/h", "mkdir fails after", "pods removed", "peak dying", "their memory"),
    ...table.map((t) => row(formatCount(t.podsPerHour), t.failsAtHours === undefined ? "never" : formatHours(t.failsAtHours), formatCount(t.pods), formatCount(t.peakDying), formatBytes(t.peakDyingBytes))),
  ];
  return lines.join("\n") + "\n";
}

function extras(input: SimInput): string {
  const parts = [
    input.reclaimEveryHours === undefined ? "" : `reclaim every ${formatHours(input.reclaimEveryHours)}`,
    input.rebootEveryHours === undefined ? "" : `reboot every ${formatHours(input.rebootEveryHours)}`,
  ].filter((p) => p !== "");
  return parts.length === 0 ? "" : `; ${parts.join(", ")}`;
}

function verdict(input: SimInput, r: SimResult): string {
  const held = `${formatCount(r.peakDying)} dying memcgs at most, holding about ${formatBytes(r.peakDyingBytes)} of kernel memory and pinned pages`;
  if (r.failsAtHours === undefined) return `mkdir never fails within ${formatHours(input.horizonHours)} (${formatCount(r.pods)} pods); ${held}.`;
  return `mkdir starts to fail after ${formatCount(r.pods)} pods, ${formatHours(r.failsAtHours)} at ${formatCount(input.podsPerHour)} pods/h; ${held}.`;
}

function row(...cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padStart(7) : c.padStart(19))).join("");
}

export function formatHours(h: number): string {
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${(Math.round(h * 10) / 10).toString()} h`;
  return `${(Math.round((h / 24) * 10) / 10).toString()} days`;
}

function positiveArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
}

function shareArg(v: string): number {
  const pct = v.endsWith("%");
  const n = Number(pct ? v.slice(0, -1) : v) / (pct ? 100 : 1);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a share between 0 and 1 (or 0% to 100%), got "${v}"`);
  return n;
}

function hoursArg(v: string): number {
  return durationArg(v) / HOUR_MS;
}

function pinnedArg(v: string): number {
  return v === "forever" ? Infinity : hoursArg(v);
}

function yesNoArg(v: string): boolean {
  if (v === "yes" || v === "true") return true;
  if (v === "no" || v === "false") return false;
  throw new InvalidArgumentError(`expected yes or no, got "${v}"`);
}

function listArg(v: string): number[] {
  return v.split(",").map((s) => positiveArg(s.trim()));
}
