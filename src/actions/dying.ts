import type { Host } from "../host/host.js";
import type { CgroupHierarchy } from "../collect/mounts.js";
import { dyingCount } from "../collect/dying-count.js";
import { setTimeout as delay } from "node:timers/promises";

export { dyingCount };

/** Lets pending signal handlers run between the steps of a long synchronous experiment. */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Dying count once asynchronous freeing has settled: empty memcgs go within ~1 s here
 * (docs/lab-results.md §2), so wait at least `minMs`, then until two readings 300 ms apart agree.
 */
export async function settledDying(
  host: Host,
  h: CgroupHierarchy,
  rel = "",
  minMs = 1200,
  maxMs = 5000,
): Promise<number> {
  const started = Date.now();
  await delay(minMs); // awaited, not blocking: Ctrl-C and SIGTERM get handled (scratch cleanup)
  let last = dyingCount(host, h, rel);
  while (Date.now() - started < maxMs) {
    await delay(300);
    const now = dyingCount(host, h, rel);
    if (now === last) return now;
    last = now;
  }
  return last;
}
