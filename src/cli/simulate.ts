import * as os from "node:os";
import { InvalidArgumentError, Option, type Command } from "commander";
import { simulate, churnTable, SIM_DEFAULTS, CHURN_RATES, type SimInput } from "../analyze/simulate.js";
import { dyingCost } from "../analyze/dying-cost.js";
import { kernelModel } from "../knowledge/kernel-model.js";
import { Host } from "../host/host.js";
import { readTopology } from "../collect/topology.js";
import { parseMeminfo } from "../parsers/meminfo.js";
import { countArg, durationArg } from "./options.js";
import { hostRootOption } from "./common.js";
import { renderSimulation, formatHours, type MemoryBasis } from "./simulate-text.js";

export { renderSimulation, formatHours };

/**
 * The share of the node's memory the dying memcgs may hold before the node counts as failed.
 * Their kernel memory is charged to no pod: it comes out of what the node keeps for the system.
 * GKE keeps 6 % of each GiB between 16 and 128 GiB for it (10 % between 8 and 16, 2 % above 128;
 * cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes), and the kubelet and runtime
 * already use much of that: 5 % is about where pods start to lose memory they were promised.
 */
export const DEFAULT_MEMORY_SHARE = 0.05;

const HOUR_MS = 3_600_000;

interface Flags {
  podsPerHour: number;
  memcgsPerPod: number;
  bootMemcgs: number;
  runningPods: number;
  leak: number;
  pinnedFor: number;
  pinnedBytes: number;
  horizon: number;
  rates: number[];
  kernel?: string;
  dyingHoldIds?: boolean;
  reclaimEvery?: number;
  rebootEvery?: number;
  json?: boolean;
  cpus?: number;
  nodes?: number;
  memory?: number;
  memoryShare: number;
  swapShare: number;
  hostRoot: string;
}

export function register(program: Command): void {
  program
    .command("simulate")
    .description(
      "when will mkdir of a memory cgroup start to fail, or the dying memcgs take a share of memory, on a node with this pod churn?",
    )
    .option("--pods-per-hour <n>", "pods created and removed per hour", positiveArg, 100)
    .option(
      "--memcgs-per-pod <n>",
      "memory cgroups per pod: the pod's plus one per container",
      countArg,
      SIM_DEFAULTS.memcgsPerPod,
    )
    .option("--boot-memcgs <n>", "memory cgroups present at boot, the root included", countArg, SIM_DEFAULTS.bootMemcgs)
    .option(
      "--running-pods <n>",
      "pods alive at any time besides the one being created",
      countArg,
      SIM_DEFAULTS.runningPods,
    )
    .option("--leak <share>", "share of removed memcgs that stay dying: 0.3 or 30%", shareArg, SIM_DEFAULTS.leakShare)
    .addOption(
      new Option(
        "--pinned-for <duration>",
        "how long they stay dying; 'forever' is a kernel leak that only a reboot frees",
      )
        .argParser(pinnedArg)
        .default(Infinity, "forever"),
    )
    .option("--pinned-bytes <n>", "page cache each dying memcg pins, in bytes", countArg, 4096)
    .option(
      "--kernel <release>",
      "take 'do dying memcgs hold their ID' and the cost of one from the models for this release (default: this host's)",
    )
    .option("--dying-hold-ids <yes|no>", "say it outright instead of --kernel", yesNoArg)
    .option(
      "--swap-share <share>",
      "share of dying memcgs whose pages are swapped out: they keep their ID on 4.8+",
      shareArg,
      0,
    )
    .option(
      "--reclaim-every <duration>",
      "reclaim (drop caches) this often: frees pinned, not kernel-leaked, memcgs",
      hoursArg,
    )
    .option("--reboot-every <duration>", "reboot this often", hoursArg)
    .addOption(
      new Option("--horizon <duration>", "how far ahead to look")
        .argParser(hoursArg)
        .default(SIM_DEFAULTS.horizonHours, `${SIM_DEFAULTS.horizonHours / 24}d`),
    )
    .addOption(
      new Option("--rates <list>", "churn rates for the table, pods per hour")
        .argParser(listArg)
        .default(CHURN_RATES, CHURN_RATES.join(",")),
    )
    .option(
      "--cpus <n>",
      "possible CPUs of the node: the per-CPU part of a dying memcg's cost (default: this host's)",
      positiveIntArg,
    )
    .option("--nodes <n>", "NUMA nodes of the node (default: this host's)", positiveIntArg)
    .option("--memory <size>", "the node's memory, e.g. 64GiB (default: this host's MemTotal)", sizeArg)
    .addOption(
      new Option("--memory-share <share>", "the node fails when the dying memcgs hold this share of its memory")
        .argParser(shareArg)
        .default(DEFAULT_MEMORY_SHARE, "5%"),
    )
    .addOption(hostRootOption())
    .option("--json", "print the input, the result and the table as JSON")
    .action((f: Flags) => {
      const holds = dyingHoldIds(f);
      const mem = memoryBasis(f);
      const input: SimInput = {
        ...SIM_DEFAULTS,
        podsPerHour: f.podsPerHour,
        memcgsPerPod: f.memcgsPerPod,
        bootMemcgs: f.bootMemcgs,
        runningPods: f.runningPods,
        leakShare: f.leak,
        pinnedHours: f.pinnedFor,
        dyingHoldIds: holds.value,
        swapShare: f.swapShare,
        horizonHours: f.horizon,
        bytesPerDying: mem.cost.bytesEach + f.pinnedBytes,
        memoryBudgetBytes: Math.round(mem.memoryBytes * mem.share),
        ...(f.reclaimEvery === undefined ? {} : { reclaimEveryHours: f.reclaimEvery }),
        ...(f.rebootEvery === undefined ? {} : { rebootEveryHours: f.rebootEvery }),
      };
      const result = simulate(input);
      const table = churnTable(input, f.rates);
      if (f.json) {
        process.stdout.write(
          JSON.stringify({ input: jsonSafe(input), dyingHoldIdsFrom: holds.why, memory: mem, result, table }, null, 2) +
            "\n",
        );
        return;
      }
      process.stdout.write(renderSimulation(input, holds.why, mem, result, table));
    });
}

/** Infinity is not JSON: a forever pin or no reboot shows as null. */
function jsonSafe(input: SimInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v === Infinity ? null : v]));
}

/** The cost of a dying memcg on the node simulated, and its memory budget. */
function memoryBasis(f: Flags): MemoryBasis {
  const host = new Host(f.hostRoot);
  const topo = readTopology(host);
  const cost = dyingCost(f.kernel ?? os.release(), {
    cpus: f.cpus ?? topo.cpus,
    cpusFrom: f.cpus === undefined ? topo.cpusFrom : "--cpus",
    nodes: f.nodes ?? topo.nodes,
    nodesFrom: f.nodes === undefined ? topo.nodesFrom : "--nodes",
  });
  if (f.memory !== undefined)
    return { cost, pinnedBytes: f.pinnedBytes, memoryBytes: f.memory, memoryFrom: "--memory", share: f.memoryShare };
  const total = parseMeminfo(host.readText("/proc/meminfo")).get("MemTotal");
  if (total === undefined) throw new InvalidArgumentError("/proc/meminfo has no MemTotal line: give --memory");
  return {
    cost,
    pinnedBytes: f.pinnedBytes,
    memoryBytes: total,
    memoryFrom: "MemTotal of this host, /proc/meminfo",
    share: f.memoryShare,
  };
}

function dyingHoldIds(f: Flags): { value: boolean; why: string } {
  if (f.dyingHoldIds !== undefined) return { value: f.dyingHoldIds, why: "--dying-hold-ids" };
  const release = f.kernel ?? os.release();
  const v = kernelModel(release).dyingHoldIds.value;
  // An unplaceable kernel is planned for the worst case: the article's.
  if (v === "unknown")
    return { value: true, why: `kernel ${release} is unknown to the model: assuming they do (worst case)` };
  return { value: v, why: `kernel model for ${release}${f.kernel === undefined ? " (this host)" : ""}` };
}

function positiveArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
}

function positiveIntArg(v: string): number {
  if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`expected a whole number above 0, got "${v}"`);
  return Number(v);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tib: 2 ** 40,
};

/** Bytes, or a binary size: 512MiB, 64G, 1.5TiB. */
export function sizeArg(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? "").toLowerCase()];
  if (!m || unit === undefined || Number(m[1]) <= 0)
    throw new InvalidArgumentError(`expected a size such as 64GiB, 512M or a number of bytes, got "${v}"`);
  return Math.round(Number(m[1]) * unit);
}

function shareArg(v: string): number {
  const pct = v.endsWith("%");
  const n = Number(pct ? v.slice(0, -1) : v) / (pct ? 100 : 1);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a share between 0 and 1 (or 0% to 100%), got "${v}"`);
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
