/** One reading of the dying count: a walk, or the cheap counter where it counts dying memcgs (v2, 6.12+). */
export interface DyingReading {
  t: number;
  dying: number | null;
}

/** An upper bound on the dying memcgs that have been dying for the whole window. */
export interface SettledDying {
  count: number;
  windowSeconds: number;
  readings: number;
}

/**
 * Where the kernel counts a cgroup as dying from rmdir on, a fresh removal shows at once, so alarms
 * count only what stays. A memcg dying through the whole window is in every reading of it, so the
 * smallest reading bounds those from above. null until the readings cover the window.
 */
export function settledDying(readings: DyingReading[], nowMs: number, windowMs: number): SettledDying | null {
  const from = nowMs - windowMs;
  const known = readings.filter((r): r is { t: number; dying: number } => r.dying !== null && r.t <= nowMs);
  const covered = known.some((r) => r.t <= from);
  const inWindow = known.filter((r) => r.t >= from);
  // The last reading at or before the window's start is still the count at its start.
  const atStart = known.filter((r) => r.t < from).at(-1);
  const used = atStart ? [atStart, ...inWindow] : inWindow;
  if (!covered || used.length === 0) return null;
  return { count: Math.min(...used.map((r) => r.dying)), windowSeconds: windowMs / 1000, readings: used.length };
}
