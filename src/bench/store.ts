/**
 * Bytes per node-year: 365 days of 30 s samples (a walk every tenth, as the daemon does on a big
 * node), compacted every hour as `cgleak serve` does, into a real SQLite file.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../store/store.js";
import type { Sample } from "../analyze/sample.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const dir = mkdtempSync("/tmp/cgleak-bench-store-");
try {
  const path = join(dir, "year.db");
  const s = openStore(path);
  const started = process.hrtime.bigint();
  let batch: Sample[] = [];
  for (let t = T0, i = 0; t < T0 + 365 * DAY; t += 30_000, i++) {
    const total = 3000 + Math.round(300 * Math.sin(t / 5e6)) + Math.floor((t - T0) / 900_000);
    const walk = i % 10 === 0;
    batch.push({
      t,
      bootId: `boot-${Math.floor((t - T0) / (30 * DAY))}`,
      total,
      live: walk ? total - 100 : null,
      dying: walk ? 100 : null,
      idsUsed: walk ? total - 100 : null,
      pinnedBytes: walk ? 4096 * total : null,
    });
    if ((t - T0) % 3_600_000 === 3_600_000 - 30_000) {
      s.appendMany(batch);
      batch = [];
      s.compact(t + 30_000);
    }
  }
  s.appendMany(batch);
  const rows = s.range(0).length;
  s.close();
  const bytes = statSync(path).size;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `node-year of 30 s samples: ${rows} rows, ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB, ${(bytes / rows).toFixed(1)} B/row), written and compacted in ${seconds.toFixed(1)} s\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
