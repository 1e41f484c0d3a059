/** Number formats shared by every sentence cgleak writes. */
export function formatCount(n: number): string {
  // Not toLocaleString: loading ICU's locale data costs ~20 ms of a 150 ms scan.
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${s}` : s;
}

export function formatPercent(ratio: number): string {
  const p = ratio * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

export function formatBytes(b: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** One way to say how long: 4.2 s, 45 s, 12 min, 3.5 h, 2.1 days. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} days`;
}

/** The same, compact, for a column: 0.4s, 12s, 3m05s, 2h01m. */
export function formatAge(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const t = Math.floor(seconds);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

/** Seconds as days, one decimal (how far off the ID cap is); none as 0.0. */
export function formatDays(seconds: number | null): string {
  return ((seconds ?? 0) / 86_400).toFixed(1);
}

/** A per-second rate as a signed per-day amount (the caller says "/day"): +1,234 or −0.5. */
export function formatPerDay(ratePerSecond: number): string {
  const d = ratePerSecond * 86_400;
  return `${d < 0 ? "−" : "+"}${Math.abs(d) < 10 ? Math.abs(d).toFixed(1) : formatCount(Math.abs(d))}`;
}
