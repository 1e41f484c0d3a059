const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A duration as people write it (500ms, 30s, 10m, 24h, 7d, 2w, 1.5h) in milliseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] as number) : undefined;
}
