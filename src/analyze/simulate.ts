import { MEMCG_ID_CAP } from "./ids.js";
/**
 * A node's memcg ID space under pod churn. Pure: inputs -> when mkdir starts to fail.
 *
 * Pod i (1, 2, ...) is created at (i - 1) / podsPerHour hours and removed right after; its
 * memcgs are live meanwhile, and `runningPods` other pods are always alive. Of the removed
 * memcgs a share `leakShare` stays dying for `pinnedHours` (Infinity: a kernel leak only a
 * reboot frees). Leaks are counted with an exact integer accumulator, floor(i * memcgsPerPod *
 * leakShare), so the result is deterministic and matches the closed form to the pod.
 * Creating a pod needs memcgsPerPod free IDs; the kernel caps IDs at 65535 (root included).
 * Where dying memcgs hold no ID, the failure that comes first is memory: the node fails when the
 * dying memcgs hold `memoryBudgetBytes` (a share of its memory, docs/cost-model.md).
 */
export interface SimInput {
  podsPerHour: number;
  /** The pod cgroup plus one per container. */
  memcgsPerPod: number;
  /** Memcgs present at boot, the root memcg included. */
  bootMemcgs: number;
  /** Pods alive besides the one being created. */
  runningPods: number;
  /** 0..1: share of removed memcgs that stay dying. */
  leakShare: number;
  /** How long a dying memcg stays pinned; Infinity = never freed until reboot. */
  pinnedHours: number;
  /** True on kernels where dying memcgs keep their ID (before 4.8, RHEL 7's 3.10). */
  dyingHoldIds: boolean;
  /**
   * 0..1: the share of the dying memcgs whose pages are swapped out. Where dying memcgs hold no
   * ID (4.8+), these still do: swap records pin the private ID (73f576c04b94) until the pages are
   * swapped back in or their tmpfs files deleted. Ignored where every dying memcg holds its ID.
   */
  swapShare?: number;
  /** Reclaim (drop caches) frees every finitely pinned dying memcg this often. */
  reclaimEveryHours?: number;
  rebootEveryHours?: number;
  horizonHours: number;
  idCap: number;
  /** Kernel memory one dying memcg costs plus the pages it pins. */
  bytesPerDying: number;
  /** The memory the dying memcgs may hold before the node counts as failed; undefined: never. */
  memoryBudgetBytes?: number;
}

/** id-cap: a pod's mkdir fails; memory: the dying memcgs hold the memory budget. */
export type SimFailure = "id-cap" | "memory";

export interface SimResult {
  /** Hours until the first failure; undefined when none comes within the horizon. */
  failsAtHours: number | undefined;
  failure: SimFailure | undefined;
  /** Pods created and removed before the failure (or within the horizon). */
  pods: number;
  /** Most dying memcgs at once, and the memory they held. */
  peakDying: number;
  peakDyingBytes: number;
  /** Most memcg IDs in use at once (live + dying where dying hold IDs, else the swapped-out share). */
  peakIds: number;
}

export const SIM_DEFAULTS: Omit<SimInput, "podsPerHour" | "dyingHoldIds"> = {
  memcgsPerPod: 2,
  bootMemcgs: 100,
  runningPods: 0,
  leakShare: 1,
  pinnedHours: Infinity,
  horizonHours: 365 * 24,
  idCap: MEMCG_ID_CAP,
  // ~20 KB kernel memory per dying memcg on 2 CPUs (docs/cost-model.md) plus a 4 KiB page;
  // cgleak simulate replaces it with the cost model for the node simulated.
  bytesPerDying: 24_700,
};

/** Event-driven simulation: one O(1) step per pod, no clock ticking. */
export function simulate(input: SimInput): SimResult {
  const { podsPerHour: r, memcgsPerPod: m, idCap, horizonHours } = input;
  const live = input.bootMemcgs + input.runningPods * m;
  const perPod = m * input.leakShare;
  const leakedBy = (i: number): number => Math.floor(i * perPod + 1e-9);
  const memDying = dyingThatFillTheBudget(input);
  let peakDying = 0;
  let peakIds = live;
  // dying at hour t = leaks of the pods removed in [t - window, t)
  const leakedWithin = (i: number, t: number, window: number): number => {
    const first = Math.max(1, Math.ceil((t - window) * r + 1 - 1e-9));
    return first > i - 1 ? 0 : leakedBy(i - 1) - leakedBy(first - 1);
  };
  for (let i = 1; ; i++) {
    const t = (i - 1) / r;
    if (t > horizonHours) return result(undefined, undefined, i - 1, peakDying, peakIds, input);
    const reclaimable = leakedWithin(i, t, pinWindow(t, input));
    const { dying, holdingIds } = dyingAt(reclaimable, leakedWithin(i, t, swapWindow(t, input)), input);
    if (dying > peakDying) peakDying = dying;
    const ids = live + holdingIds;
    if (ids > peakIds) peakIds = ids;
    if (ids + m > idCap) return result(t, "id-cap", i - 1, peakDying, peakIds, input);
    if (dying >= memDying) return result(t, "memory", i - 1, peakDying, peakIds, input);
  }
}

/**
 * The dying memcgs and those holding an ID, from the leaks within the pin window (`reclaimable`)
 * and within the same window without reclaim (`kept`). Where only swapped-out ones hold IDs, the
 * swap share of `kept` stays: reclaim (dropping caches) does not swap pages back in.
 */
function dyingAt(reclaimable: number, kept: number, input: SimInput): { dying: number; holdingIds: number } {
  if (input.dyingHoldIds) return { dying: reclaimable, holdingIds: reclaimable };
  const swapped = idsHeldByDying(kept, input);
  return { dying: reclaimable - idsHeldByDying(reclaimable, input) + swapped, holdingIds: swapped };
}

/** The pin window of swapped-out pages: reclaim does not free them, a reboot or pinnedHours does. */
function swapWindow(t: number, input: SimInput): number {
  const { reclaimEveryHours: _r, ...noReclaim } = input;
  return pinWindow(t, noReclaim);
}

/** IDs the dying memcgs hold: all of them before 4.8, else floor(dying x swap share). */
export function idsHeldByDying(dying: number, input: SimInput): number {
  return Math.floor(dying * idShare(input) + 1e-9);
}

/** The share of dying memcgs that hold an ID. */
function idShare(input: SimInput): number {
  return input.dyingHoldIds ? 1 : (input.swapShare ?? 0);
}

/** How far back pins made are still alive at hour t: since the last reboot, and for finite
 * pins (page cache) also since the last reclaim and within pinnedHours. */
export function pinWindow(t: number, input: SimInput): number {
  const sinceBoot = input.rebootEveryHours === undefined ? t : t % input.rebootEveryHours;
  if (input.pinnedHours === Infinity) return sinceBoot;
  const sinceReclaim = input.reclaimEveryHours === undefined ? t : t % input.reclaimEveryHours;
  return Math.min(sinceBoot, sinceReclaim, input.pinnedHours);
}

function result(
  failsAtHours: number | undefined,
  failure: SimFailure | undefined,
  pods: number,
  peakDying: number,
  peakIds: number,
  input: SimInput,
): SimResult {
  return { failsAtHours, failure, pods, peakDying, peakDyingBytes: peakDying * input.bytesPerDying, peakIds };
}

/** How many dying memcgs hold the memory budget; Infinity without one. */
export function dyingThatFillTheBudget(input: SimInput): number {
  if (input.memoryBudgetBytes === undefined) return Infinity;
  return Math.max(1, Math.ceil(input.memoryBudgetBytes / input.bytesPerDying - 1e-9));
}

/** Pods removed before the dying memcgs hold the memory budget (pins outliving the run). */
export function podsBeforeMemoryFailure(input: SimInput): number | undefined {
  const d = dyingThatFillTheBudget(input);
  const perPod = input.memcgsPerPod * input.leakShare;
  if (d === Infinity || perPod === 0) return undefined;
  return Math.ceil(d / perPod - 1e-9);
}

/**
 * Closed form for pins that outlive the run (forever, or longer than the time to fail) with
 * dying memcgs holding IDs: the pods removed before the first failing creation are the
 * smallest n with live + floor(floor(n*m*p) * s) + m > cap, s the share of dying memcgs holding
 * an ID (1 where all do, else the swap share). For the article (p = 1, m = 2, no running
 * pods) that is floor((65535 - boot) / 2).
 */
export function podsBeforeFailure(input: SimInput): number | undefined {
  const headroom = input.idCap - input.bootMemcgs - input.runningPods * input.memcgsPerPod - input.memcgsPerPod;
  if (headroom < 0) return 0;
  const perPod = input.memcgsPerPod * input.leakShare;
  const share = idShare(input);
  if (share === 0 || perPod === 0) return undefined;
  // smallest dying count d with floor(d * share) >= headroom + 1, then smallest n with floor(n * perPod) >= d
  const dying = Math.ceil((headroom + 1) / share - 1e-9);
  return Math.ceil(dying / perPod - 1e-9);
}

/**
 * Closed form of the same model: the forever formula holds until the first pin window closes
 * (a reboot, a reclaim of finite pins, or pins expiring); if the node has not failed by then,
 * no later window is longer, so it never fails. Not for a swap share with reclaim on a 4.8+
 * kernel: the swapped-out memcgs outlive the reclaims and keep adding up (simulate() has them).
 */
export function closedForm(input: SimInput): {
  failsAtHours: number | undefined;
  failure: SimFailure | undefined;
  pods: number;
} {
  const ids = podsBeforeFailure(input);
  const mem = podsBeforeMemoryFailure(input);
  // the same pod can do both: mkdir failing is the one the node sees
  const [n, failure]: [number | undefined, SimFailure | undefined] =
    ids !== undefined && (mem === undefined || ids <= mem)
      ? [ids, "id-cap"]
      : mem !== undefined
        ? [mem, "memory"]
        : [undefined, undefined];
  const firstWindow = Math.min(
    input.rebootEveryHours ?? Infinity,
    input.pinnedHours === Infinity ? Infinity : Math.min(input.pinnedHours, input.reclaimEveryHours ?? Infinity),
  );
  const horizonPods = Math.floor(input.horizonHours * input.podsPerHour) + 1;
  if (n === undefined || n / input.podsPerHour >= firstWindow || n / input.podsPerHour > input.horizonHours) {
    return { failsAtHours: undefined, failure: undefined, pods: horizonPods };
  }
  return { failsAtHours: n / input.podsPerHour, failure, pods: n };
}

export const CHURN_RATES = [10, 30, 100, 300, 1000, 3000];

/** The same node at several churn rates: the table `cgleak simulate` prints. */
export function churnTable(base: SimInput, rates: number[] = CHURN_RATES): Array<SimResult & { podsPerHour: number }> {
  return rates.map((podsPerHour) => ({ podsPerHour, ...simulate({ ...base, podsPerHour }) }));
}
