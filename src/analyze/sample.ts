/**
 * One observation of a node, as stored and forecast. Cheap figures (kernel total, from
 * /proc/cgroups or cgroup.stat) come every interval; walk figures (live, pinned) only when a walk
 * ran, and are null otherwise.
 */
export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  /** /proc/sys/kernel/random/boot_id: a new value means the node rebooted and a leak rate starts over. */
  bootId: string;
  /** Live + dying memcgs, kernel-wide. */
  total: number;
  live: number | null;
  dying: number | null;
  /** IDs in use by the scan's rule (the high end of the range). */
  idsUsed: number | null;
  pinnedBytes: number | null;
}
