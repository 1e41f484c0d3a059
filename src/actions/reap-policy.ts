/**
 * What the reaper aims at and what it may spend. The defaults are justified by the measurements
 * in docs/reap.md ("Defaults"): each dying memcg costs ~20 KB of kernel memory plus the pages it
 * pins, and on this kernel's v1 a bounded limit step freed 1,000 page-cache-pinned dying memcgs
 * in well under a second while the live neighbour kept its hot working set.
 */
export interface ReapPolicy {
  /** Act while more memcgs than this are dying (v1: kernel-wide; v2: the root's count). */
  targetDying: number;
  /** ... or while dying memcgs pin more page cache than this many bytes. */
  targetPinnedBytes: number;
  /** ... or, on kernels where dying memcgs hold IDs (before 4.8, RHEL 7), while IDs in use pass this share of the cap. */
  targetIdShare: number;
  /** Bytes one pass may ask the kernel to reclaim, over all parents. */
  budgetBytes: number;
  /** Bytes per write (a v1 limit step, a v2 memory.reclaim request). */
  stepBytes: number;
  /** serve --reap: time between passes while the reaper is making progress. */
  intervalMs: number;
  /** A pass that frees nothing doubles the interval, up to this. */
  maxIntervalMs: number;
  /** Skip the pass while /proc/pressure/memory `some avg10` is above this (percent). */
  psiMemory: number;
  /** ... or /proc/pressure/io `some avg10` above this. */
  psiIo: number;
  /** A parent whose dying children pin less reclaimable page cache than this is left alone. */
  minParentBytes: number;
  /** How each kernel write is bounded: the writer is killed (SIGKILL) after this. */
  writeTimeoutMs: number;
  method: ReapMethod;
}

/**
 * limit: v1, lower the parent's memory.limit_in_bytes by one step and restore it at once (the
 * kernel's own limit reclaim, which scrapes dying memcgs first). force-empty: v1, empty the whole
 * parent, live children included. memory-reclaim: v2. drop-caches: global, the last resort.
 * auto: limit on v1, memory-reclaim on v2.
 */
export type ReapMethod = "auto" | "limit" | "force-empty" | "memory-reclaim" | "drop-caches";
export const REAP_METHODS: readonly ReapMethod[] = ["auto", "limit", "force-empty", "memory-reclaim", "drop-caches"];

const MiB = 1024 * 1024;

export const DEFAULT_POLICY: ReapPolicy = {
  targetDying: 1000,
  targetPinnedBytes: 256 * MiB,
  targetIdShare: 0.5,
  budgetBytes: 512 * MiB,
  stepBytes: 32 * MiB,
  intervalMs: 60_000,
  maxIntervalMs: 16 * 60_000,
  psiMemory: 10,
  psiIo: 30,
  minParentBytes: 1 * MiB,
  writeTimeoutMs: 10_000,
  method: "auto",
};

export function resolveMethod(m: ReapMethod, version: 1 | 2): Exclude<ReapMethod, "auto"> {
  if (m !== "auto") return m;
  return version === 1 ? "limit" : "memory-reclaim";
}

/** Null when the method exists on this cgroup version, else why not. */
export function methodUnavailable(m: ReapMethod, version: 1 | 2): string | null {
  if ((m === "limit" || m === "force-empty") && version !== 1)
    return `--method ${m} is cgroup v1 only (memory.limit_in_bytes, memory.force_empty); use memory-reclaim`;
  if (m === "memory-reclaim" && version !== 2)
    return "--method memory-reclaim is cgroup v2 only; on v1 use limit (the default) or force-empty";
  return null;
}
